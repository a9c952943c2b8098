"""The "What runs when" demo: the order its lines come in, run and traced."""

import json

import pytest
from channels.testing import WebsocketCommunicator

from tests.sockets import HEADERS
from tutorialsite.asgi import application

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("fresh_runtime")]


async def run_order(mode: str, trace: bool = False) -> list[dict]:
    ws = WebsocketCommunicator(application, "/ws/demos/", headers=HEADERS)
    assert (await ws.connect())[0]
    frame = {"type": "run", "id": "o", "demo": "order", "mode": mode, "trace": trace}
    await ws.send_to(text_data=json.dumps(frame))
    events = []
    while (event := await ws.receive_json_from(timeout=5))["type"] not in {"finished", "error"}:
        events.append(event)
    events.append(event)
    await ws.disconnect()
    assert event["type"] == "finished"
    assert event["status"] == "ok"
    return events


def lines(events: list[dict]) -> list[str]:
    return [event["text"] for event in events if event["type"] == "output"]


async def test_an_awaited_coroutine_runs_at_once_and_the_callback_waits_for_its_await():
    assert lines(await run_order("sync")) == [
        "main: awaits greet()",
        "coroutine: first half",
        "call_soon: the next turn",
        "coroutine: second half",
        "main: greet() is done",
        "call_later: 10 ms on",
    ]


async def test_a_created_task_starts_only_once_main_awaits_and_after_the_callback():
    assert lines(await run_order("async")) == [
        "main: created the task",
        "call_soon: the next turn",
        "task: first half",
        "task: second half",
        "main: the task is done",
        "call_later: 10 ms on",
    ]


@pytest.mark.parametrize(("mode", "tasks"), [("sync", 1), ("async", 2)])
async def test_the_trace_shows_a_task_only_where_one_was_created(mode, tasks):
    events = await run_order(mode, trace=True)
    records = [r for e in events if e["type"] == "trace" for r in e["records"]]
    created = [r for r in records if r["kind"] == "task_created"]
    assert len(created) == tasks
    assert lines(events) == lines(await run_order(mode))  # tracing changes no order
