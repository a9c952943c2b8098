"""A body sent whole at the end arrives all at once; streamed parts arrive as they are made."""

import asyncio
import json
import re

import pytest
from channels.testing import WebsocketCommunicator

from demos.catalog import catalog
from demos.programs import streaming_buffered, streaming_chunked
from tests.demo_runs import ends, lines, run_demo
from tests.sockets import HEADERS
from tutorialsite.asgi import application

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("fresh_runtime")]

PARAMS = {"parts": 3, "seconds": 0.1}


async def run(mode: str) -> tuple[dict, list[dict]]:
    return await run_demo("streaming", mode, PARAMS)


def server_lines(events: list[dict]) -> list[tuple[str, float]]:
    """What the server printed, with the time cut out: [('part 1 ready, kept in memory', 0.1)]."""
    found = [
        re.fullmatch(r"server: (.*) at (\S+) s(.*)", line)
        for line in lines(events)
        if line.startswith("server:")
    ]
    return [(f"{m[1]}{m[3]}", float(m[2])) for m in found]


def client_times(events: list[dict]) -> dict[str, float]:
    """What the client read, and when, by its own clock: {'first byte': 0.1, 'part 1': 0.1, ...}."""
    times = {}
    for line in lines(events):
        if found := re.fullmatch(r"client: first byte of the body after (\S+) s", line):
            times["first byte"] = float(found[1])
        elif found := re.fullmatch(r"client: read '(part \d)' at (\S+) s", line):
            times[found[1]] = float(found[2])
        elif found := re.fullmatch(r"client: whole body read at (\S+) s", line):
            times["whole body"] = float(found[1])
    return times


async def test_a_buffered_body_reaches_the_client_only_when_the_last_part_is_made():
    finished, events = await run("sync")
    assert finished["status"] == "ok"
    server = server_lines(events)
    assert [text for text, _ in server] == [
        "part 1 ready, kept in memory",
        "part 2 ready, kept in memory",
        "part 3 ready, kept in memory",
        "sent the whole body",
    ]
    assert all(0.1 * n - 0.01 <= t < 0.1 * n + 0.1 for n, (_, t) in enumerate(server[:3], 1))
    times = client_times(events)
    assert list(times) == ["first byte", "part 1", "part 2", "part 3", "whole body"]
    # Nothing before the last part: the first byte and the whole body come together.
    assert 0.29 <= times["first byte"] <= times["whole body"] < 0.4
    assert times["whole body"] - times["first byte"] < 0.05
    # The server's connection is a task of its own, and it ends cleanly.
    assert ends(events)[0]["ok"] is True
    assert 0.29 <= finished["elapsed"] < 0.5


async def test_a_streamed_body_reaches_the_client_part_by_part():
    finished, events = await run("async")
    assert finished["status"] == "ok"
    server = server_lines(events)
    assert [text for text, _ in server] == [
        "part 1 ready, sent at once",
        "part 2 ready, sent at once",
        "part 3 ready, sent at once",
    ]
    assert all(0.1 * n - 0.01 <= t < 0.1 * n + 0.1 for n, (_, t) in enumerate(server, 1))
    times = client_times(events)
    assert list(times) == ["first byte", "part 1", "part 2", "part 3", "whole body"]
    # The first byte comes with the first part; each part about when it is made.
    assert 0.09 <= times["first byte"] < 0.2
    for n in (1, 2, 3):
        assert 0.1 * n - 0.01 <= times[f"part {n}"] < 0.1 * n + 0.1
    assert 0.29 <= times["whole body"] < 0.4
    assert ends(events)[0]["ok"] is True
    assert 0.29 <= finished["elapsed"] < 0.5


@pytest.mark.parametrize("mode", ["sync", "async"])
async def test_a_cancelled_run_closes_its_server_and_its_connection(mode):

    program = streaming_buffered if mode == "sync" else streaming_chunked
    before = asyncio.all_tasks()
    with pytest.raises(TimeoutError):
        await asyncio.wait_for(program.main(parts=8, seconds=1.0), 0.3)
    assert asyncio.all_tasks() == before  # no connection task left behind


@pytest.mark.usefixtures("sandbox_runner")
@pytest.mark.parametrize("mode", ["sync", "async"])
async def test_the_listing_serves_on_loopback_in_the_readers_sandbox(mode):
    source = catalog()["demos"]["streaming"]["modes"][mode]["source"]
    code = source.replace("PARTS = 4\n", "PARTS = 2\n").replace("SECONDS = 0.3 ", "SECONDS = 0.1 ")
    ws = WebsocketCommunicator(application, "/ws/demos/", headers=HEADERS)
    assert (await ws.connect())[0]
    frame = {"type": "run", "id": "c", "demo": "streaming", "mode": mode, "code": code}
    await ws.send_to(text_data=json.dumps(frame))
    events = []
    while (event := await ws.receive_json_from(timeout=20))["type"] not in {"finished", "error"}:
        events.append(event)
    await ws.disconnect()
    assert event["type"] == "finished", (event, events)
    assert event["status"] == "ok", events
    assert list(client_times(events)) == ["first byte", "part 1", "part 2", "whole body"]
