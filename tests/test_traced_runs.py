"""Tracing a run over the websocket: the trace messages, what they say, and storage."""

import json

import pytest
from channels.testing import WebsocketCommunicator

from demos.catalog import catalog
from live.models import DemoRun
from tests.sockets import HEADERS
from tutorialsite.asgi import application

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("fresh_runtime")]


async def connect() -> WebsocketCommunicator:
    communicator = WebsocketCommunicator(application, "/ws/demos/", headers=HEADERS)
    assert (await communicator.connect())[0]
    return communicator


def run_frame(demo: str, mode: str = "async", trace: object = True, **params) -> str:
    frame = {"type": "run", "id": "t1", "demo": demo, "mode": mode, "params": params}
    frame["trace"] = trace
    return json.dumps(frame)


async def until_finished(ws) -> list[dict]:
    events = []
    while (event := await ws.receive_json_from(timeout=10))["type"] not in {"finished", "error"}:
        events.append(event)
    events.append(event)
    return events


def records_of(events: list[dict]) -> list[dict]:
    return [record for event in events if event["type"] == "trace" for record in event["records"]]


def listing_line(demo: str, mode: str, text: str) -> int:
    """The line of the listing the reader sees (the whole program) that holds ``text``."""
    lines = catalog()["demos"][demo]["modes"][mode]["source"].splitlines()
    (number,) = [number for number, line in enumerate(lines, start=1) if text in line]
    return number


async def test_a_traced_run_sends_its_records_before_it_finishes_and_stores_them():
    ws = await connect()
    await ws.send_to(text_data=run_frame("sleep", tasks=3, seconds=0.05))
    events = await until_finished(ws)
    await ws.disconnect()
    kinds = [event["type"] for event in events]
    assert kinds[0] == "accepted"
    assert kinds[-1] == "finished"
    assert events[-1]["status"] == "ok"
    assert "trace" in kinds
    assert all(event["id"] == "t1" for event in events)
    records = records_of(events)
    assert all("kind" in record and isinstance(record["t"], float | int) for record in records)
    run = await DemoRun.objects.aget()
    assert run.trace == records


async def test_each_task_of_the_run_is_traced_on_its_own_lane_and_waits_for_its_sleep():
    ws = await connect()
    await ws.send_to(text_data=run_frame("sleep", tasks=3, seconds=0.05))
    events = await until_finished(ws)
    await ws.disconnect()
    records = records_of(events)
    created = [record for record in records if record["kind"] == "task_created"]
    lanes = {record["lane"]: record for record in created if record["lane"] is not None}
    assert sorted(lanes) == [0, 1, 2]
    assert {record["name"] for record in lanes.values()} == {"say_hello"}
    sleep_line = listing_line("sleep", "async", "await asyncio.sleep(seconds)")
    for record in lanes.values():
        steps = [r for r in records if r["kind"] == "step" and r["task"] == record["task"]]
        first, last = min(steps, key=lambda r: r["t"]), max(steps, key=lambda r: r["t"])
        assert first["state"] == "waiting"
        assert first["line"] == sleep_line
        assert first["awaits"] == "sleep 0.05 s"
        assert last["state"] == "done"
    turns = [record for record in records if record["kind"] == "turn"]
    assert turns, "the loop's turns are recorded"


async def test_a_blocking_call_is_traced_at_its_line_for_about_as_long_as_it_blocked():
    ws = await connect()
    # The blocking demo's "sync" variant is the async program that calls time.sleep.
    await ws.send_to(text_data=run_frame("blocking", mode="sync", tasks=2, block=0.2))
    events = await until_finished(ws)
    await ws.disconnect()
    blocked = [record for record in records_of(events) if record["kind"] == "blocked"]
    block_line = listing_line("blocking", "sync", "time.sleep(block)")
    assert [record["line"] for record in blocked] == [block_line]
    assert 0.19 <= blocked[0]["end"] - blocked[0]["start"] < 0.5


async def test_the_loop_that_only_awaits_is_never_reported_blocked():
    ws = await connect()
    await ws.send_to(text_data=run_frame("blocking", mode="async", tasks=2, block=0.2))
    events = await until_finished(ws)
    await ws.disconnect()
    assert events[-1]["status"] == "ok"
    assert [r for r in records_of(events) if r["kind"] == "blocked"] == []


async def test_an_untraced_run_sends_no_trace_and_stores_none():
    ws = await connect()
    await ws.send_to(text_data=run_frame("sleep", trace=False, tasks=2, seconds=0.05))
    events = await until_finished(ws)
    await ws.disconnect()
    assert "trace" not in [event["type"] for event in events]
    assert (await DemoRun.objects.aget()).trace is None


@pytest.mark.parametrize(
    ("mode", "trace", "message"),
    [
        ("sync", True, "runs in a thread, with no event loop to trace"),
        ("async", "yes", '"trace" must be true or false'),
        ("async", 1, '"trace" must be true or false'),
    ],
)
async def test_a_trace_request_it_cannot_honour_is_refused_and_the_socket_goes_on(
    mode, trace, message
):
    ws = await connect()
    await ws.send_to(text_data=run_frame("sleep", mode=mode, trace=trace))
    refusal = await ws.receive_json_from(timeout=5)
    assert refusal["type"] == "error"
    assert refusal["code"] == "bad_message"
    assert message in refusal["message"]
    await ws.send_to(text_data=run_frame("sleep", tasks=1, seconds=0.05))
    assert (await until_finished(ws))[-1]["status"] == "ok"
    await ws.disconnect()


async def test_a_cancelled_traced_run_stops_at_once_and_keeps_what_it_recorded():
    ws = await connect()
    await ws.send_to(text_data=run_frame("sleep", tasks=2, seconds=5))
    events = []
    while (event := await ws.receive_json_from(timeout=5))["type"] != "task_started":
        events.append(event)
    await ws.send_to(text_data=json.dumps({"type": "cancel", "id": "t1"}))
    events += await until_finished(ws)
    await ws.disconnect()
    finished = events[-1]
    assert finished["status"] == "cancelled"
    assert finished["elapsed"] < 1
    records = records_of(events)
    ends = [r for r in records if r["kind"] == "step" and r["state"] == "cancelled"]
    assert len(ends) >= 2, "both sleeping tasks end cancelled"
    assert (await DemoRun.objects.aget()).trace == records


async def test_the_task_running_main_is_task_0_traced_from_its_first_step():
    ws = await connect()
    await ws.send_to(text_data=run_frame("order", mode="async"))
    events = await until_finished(ws)
    await ws.disconnect()
    records = sorted(records_of(events), key=lambda record: record["t"])
    created = [record for record in records if record["kind"] == "task_created"]
    assert [(r["task"], r["name"], r["parent"]) for r in created] == [
        (0, "main", None),
        (1, "greet", 0),
    ]
    first_step = next(r for r in records if r["kind"] == "step" and r["task"] == 0)
    source = catalog()["demos"]["order"]["modes"]["async"]["source"].splitlines()
    assert source[first_step["line"] - 1].strip() == "await task"
    assert first_step["awaits"] == "task 1"
