"""The blocking demo proves that a blocking call stalls the loop it runs on."""

import json
from itertools import pairwise

import pytest
from channels.testing import WebsocketCommunicator

from tests.sockets import HEADERS
from tutorialsite.asgi import application

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("fresh_runtime")]


async def run_blocking(mode: str, tasks: int = 3, block: float = 0.4) -> list[dict]:
    ws = WebsocketCommunicator(application, "/ws/demos/", headers=HEADERS)
    assert (await ws.connect())[0]
    frame = {"type": "run", "id": "b", "demo": "blocking", "mode": mode}
    frame["params"] = {"tasks": tasks, "block": block}
    await ws.send_to(text_data=json.dumps(frame))
    events = []
    while (event := await ws.receive_json_from(timeout=10))["type"] != "finished":
        events.append(event)
    events.append(event)
    await ws.disconnect()
    return events


def heartbeat_lines(events: list[dict], tasks: int) -> list[str]:
    return [e["text"] for e in events if e["type"] == "output" and e["task"] == tasks]


def longest_step(events: list[dict], task: int) -> float:
    times = [0.0] + [e["t"] for e in events if e["type"] == "output" and e["task"] == task]
    assert len(times) == 5  # four steps
    return max(later - earlier for earlier, later in pairwise(times))


async def test_time_sleep_in_a_coroutine_stalls_the_other_tasks():
    events = await run_blocking("sync", tasks=3, block=0.4)
    lines = heartbeat_lines(events, tasks=3)
    assert len(lines) == 1
    assert lines[0].startswith("loop blocked for 0.")
    stalled = float(lines[0].split()[3])
    assert 0.3 <= stalled <= 0.7
    # Task 1 never blocks, yet one of its 0.25 s steps took the blocked time too.
    assert longest_step(events, task=1) >= 0.25 + 0.3
    assert events[-1]["status"] == "ok"


async def test_asyncio_sleep_lets_the_other_tasks_go_on():
    events = await run_blocking("async", tasks=3, block=0.4)
    assert heartbeat_lines(events, tasks=3) == []
    assert longest_step(events, task=1) < 0.25 + 0.15
    # Task 0 alone waited longer; the run takes its 4 steps plus the wait.
    assert events[-1]["elapsed"] >= 4 * 0.25 + 0.4
