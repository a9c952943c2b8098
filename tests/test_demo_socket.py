"""The demo websocket: every message type, every error code, and that the
connection stays usable after each error."""

import json

import pytest
from channels.testing import WebsocketCommunicator

from live import runtime
from live.models import DemoRun
from tests.sockets import HEADERS
from tutorialsite.asgi import application

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("fresh_runtime")]


async def connect(client: str = "10.0.0.1") -> WebsocketCommunicator:
    communicator = WebsocketCommunicator(application, "/ws/demos/", headers=HEADERS)
    communicator.scope["client"] = (client, 50000)
    connected, _ = await communicator.connect()
    assert connected
    return communicator


def run(run_id: str = "r1", demo: str = "sleep", mode: str = "async", **params) -> str:
    return json.dumps({"type": "run", "id": run_id, "demo": demo, "mode": mode, "params": params})


async def until_finished(communicator, run_id: str, within: float = 5) -> list[dict]:
    events = []
    while True:
        event = await communicator.receive_json_from(timeout=within)
        if event.get("id") == run_id:
            events.append(event)
            if event["type"] in {"finished", "error"}:
                return events


async def test_it_accepts_a_run_with_defaults_filled_in():
    ws = await connect()
    await ws.send_to(text_data=run(tasks=2, seconds=0.05))
    accepted = await ws.receive_json_from()
    assert accepted == {
        "type": "accepted",
        "id": "r1",
        "demo": "sleep",
        "mode": "async",
        "params": {"tasks": 2, "seconds": 0.05},
    }
    await until_finished(ws, "r1")
    await ws.send_to(text_data=run("r2"))
    accepted = await ws.receive_json_from()
    assert accepted["params"] == {"tasks": 3, "seconds": 2.0}
    await ws.send_to(text_data=json.dumps({"type": "cancel", "id": "r2"}))
    await until_finished(ws, "r2")
    await ws.disconnect()


async def test_it_streams_every_event_of_an_async_run_in_order():
    ws = await connect()
    await ws.send_to(text_data=run(tasks=3, seconds=0.1))
    events = await until_finished(ws, "r1")
    types = [event["type"] for event in events]
    assert types[0] == "accepted"
    assert types[-1] == "finished"
    assert types.count("task_started") == 3
    assert types.count("task_finished") == 3
    outputs = [event for event in events if event["type"] == "output"]
    assert [event["text"] for event in outputs] == ["Hello"] * 3
    assert sorted(event["task"] for event in outputs) == [0, 1, 2]
    # Concurrent: every task starts before any finishes.
    last_start = max(i for i, e in enumerate(events) if e["type"] == "task_started")
    first_end = min(i for i, e in enumerate(events) if e["type"] == "task_finished")
    assert last_start < first_end
    finished = events[-1]
    assert finished["status"] == "ok"
    assert 0.1 <= finished["elapsed"] < 0.25  # about the longest task, not the sum
    assert finished["summary"] == f"Program executed in {finished['elapsed']:.2f} seconds."
    await ws.disconnect()


async def test_a_sync_run_is_a_staircase_of_tasks():
    ws = await connect()
    await ws.send_to(text_data=run(mode="sync", tasks=3, seconds=0.05))
    events = await until_finished(ws, "r1")
    timeline = [(e["type"], e["task"], e["t"]) for e in events if e["type"].startswith("task_")]
    assert [(kind, task) for kind, task, _ in timeline] == [
        ("task_started", 0),
        ("task_finished", 0),
        ("task_started", 1),
        ("task_finished", 1),
        ("task_started", 2),
        ("task_finished", 2),
    ]
    times = [t for _, _, t in timeline]
    assert times == sorted(times)
    finished = events[-1]
    assert finished["status"] == "ok"
    assert 0.15 <= finished["elapsed"] < 0.5  # about the sum of the tasks
    await ws.disconnect()


async def test_a_finished_run_is_stored_with_its_timeline():
    ws = await connect()
    await ws.send_to(text_data=run(mode="sync", tasks=2, seconds=0.05))
    events = await until_finished(ws, "r1")
    await ws.disconnect()  # waits for the run's task, which stores it
    stored = await DemoRun.objects.aget()
    assert stored.demo == "sleep"
    assert stored.mode == "sync"
    assert stored.params == {"tasks": 2, "seconds": 0.05}
    assert stored.status == "ok"
    assert stored.elapsed == events[-1]["elapsed"]
    assert [task["task"] for task in stored.timeline] == [0, 1]
    assert all(task["ok"] for task in stored.timeline)
    assert stored.timeline[0]["output"][0][1] == "Hello"


@pytest.mark.parametrize(
    ("frame", "message_part"),
    [
        ("not json", "not valid JSON"),
        ("[1, 2]", "JSON object"),
        ('{"id": "x"}', 'no "type"'),
        ('{"type": "dance", "id": "x"}', "unknown type"),
        ('{"type": "run", "id": "has space", "demo": "sleep", "mode": "sync"}', '"id"'),
        ('{"type": "run", "id": "' + "x" * 65 + '", "demo": "sleep", "mode": "sync"}', '"id"'),
        ('{"type": "run", "id": "ok\\n", "demo": "sleep", "mode": "sync"}', '"id"'),
        ('{"type": "cancel", "id": "ok\\n"}', '"id"'),
        ('{"type": "run", "id": "a", "demo": "sleep", "mode": "both"}', '"mode"'),
        ('{"type": "run", "id": "a", "demo": "sleep", "mode": "sync", "params": {"tasks": NaN}}', "JSON"),  # noqa: E501
        ("{" * 5000 + "}" * 5000, "JSON"),
        (json.dumps({"type": "run", "id": "a", "pad": "x" * 17000}), "16384 bytes"),
    ],
)  # fmt: skip
async def test_it_answers_a_bad_frame_with_bad_message_and_stays_usable(frame, message_part):
    ws = await connect()
    await ws.send_to(text_data=frame)
    error = await ws.receive_json_from()
    assert error["type"] == "error"
    assert error["code"] == "bad_message"
    assert message_part in error["message"]
    await ws.send_to(text_data=run("after", tasks=1, seconds=0.05))
    assert (await until_finished(ws, "after"))[-1]["status"] == "ok"
    await ws.disconnect()


async def test_it_refuses_binary_frames():
    ws = await connect()
    await ws.send_to(bytes_data=b"\x00\x01")
    error = await ws.receive_json_from()
    assert error["code"] == "bad_message"
    assert "binary" in error["message"]
    await ws.disconnect()


async def test_it_names_an_unknown_demo():
    ws = await connect()
    await ws.send_to(text_data=run(demo="teleport"))
    error = await ws.receive_json_from()
    assert error == {
        "type": "error",
        "code": "unknown_demo",
        "message": "there is no demo called 'teleport'",
        "id": "r1",
    }
    await ws.disconnect()


@pytest.mark.parametrize(
    ("params", "message_part"),
    [
        ({"tasks": 11}, "tasks must be from 1 to 10"),
        ({"tasks": 0}, "tasks must be from 1 to 10"),
        ({"tasks": "3"}, "tasks must be a whole number"),
        ({"tasks": True}, "tasks must be a whole number"),
        ({"seconds": 5.5}, "seconds must be from 0.05 to 5"),
        ({"seconds": 1e308}, "seconds must be from 0.05 to 5"),
        ({"colour": "red"}, "unknown parameter 'colour'"),
    ],
)
async def test_it_refuses_out_of_range_params_naming_the_field_and_bounds(params, message_part):
    ws = await connect()
    await ws.send_to(text_data=run(**params))
    error = await ws.receive_json_from()
    assert error["code"] == "invalid_params"
    assert error["id"] == "r1"
    assert message_part in error["message"]
    await ws.disconnect()


async def test_params_must_be_an_object():
    ws = await connect()
    frame = {"type": "run", "id": "r1", "demo": "sleep", "mode": "sync", "params": [1]}
    await ws.send_to(text_data=json.dumps(frame))
    error = await ws.receive_json_from()
    assert error["code"] == "invalid_params"
    await ws.disconnect()


async def test_a_third_run_at_once_on_one_connection_is_busy():
    ws = await connect()
    await ws.send_to(text_data=run("a", seconds=1))
    await ws.send_to(text_data=run("b", seconds=1))
    await ws.send_to(text_data=run("c", seconds=1))
    seen = {}
    while "c" not in seen:
        event = await ws.receive_json_from()
        seen.setdefault(event["id"], event)
    assert seen["c"]["type"] == "error"
    assert seen["c"]["code"] == "busy"
    assert seen["a"]["type"] == "accepted"
    assert seen["b"]["type"] == "accepted"
    await ws.disconnect()


async def test_a_run_id_in_use_is_refused():
    ws = await connect()
    await ws.send_to(text_data=run("same", seconds=1))
    await ws.receive_json_from()  # accepted
    await ws.send_to(text_data=run("same", seconds=1))
    while (event := await ws.receive_json_from())["type"] != "error":
        pass
    assert event["code"] == "duplicate_id"
    assert event["id"] == "same"
    await ws.disconnect()


async def test_cancel_for_an_unknown_run_is_answered():
    ws = await connect()
    await ws.send_to(text_data=json.dumps({"type": "cancel", "id": "ghost"}))
    assert await ws.receive_json_from() == {
        "type": "error",
        "code": "unknown_run",
        "message": "no run with this id is going",
        "id": "ghost",
    }
    await ws.disconnect()


async def test_runs_beyond_the_rate_limit_are_refused(settings):
    settings.DEMO_RATE_LIMIT = (2, 60)
    runtime.reset()
    ws = await connect(client="10.9.9.9")
    for run_id in ("one", "two"):
        await ws.send_to(text_data=run(run_id, tasks=1, seconds=0.05))
        await until_finished(ws, run_id)
    await ws.send_to(text_data=run("three", tasks=1, seconds=0.05))
    error = await ws.receive_json_from()
    assert error["code"] == "rate_limited"
    assert error["id"] == "three"
    assert "try again in" in error["message"]
    # The limit is per client: another address may still run.
    other = await connect(client="10.9.9.10")
    await other.send_to(text_data=run("four", tasks=1, seconds=0.05))
    assert (await until_finished(other, "four"))[-1]["status"] == "ok"
    await ws.disconnect()
    await other.disconnect()


async def test_ipv6_readers_of_one_64_share_a_rate_limit(settings):
    settings.DEMO_RATE_LIMIT = (1, 60)
    runtime.reset()
    ws = await connect(client="2001:db8:5:6::1")
    await ws.send_to(text_data=run("one", tasks=1, seconds=0.05))
    await until_finished(ws, "one")
    neighbour = await connect(client="2001:db8:5:6::2")  # same /64

    await neighbour.send_to(text_data=run("two", tasks=1, seconds=0.05))

    assert (await neighbour.receive_json_from())["code"] == "rate_limited"
    await ws.disconnect()
    await neighbour.disconnect()


async def test_runs_beyond_the_process_cap_wait_in_order(settings):
    settings.DEMO_MAX_RUNNING = 1
    runtime.reset()
    first, second, third = await connect("10.0.0.1"), await connect("10.0.0.2"), await connect()
    try:
        await first.send_to(text_data=run("first", tasks=1, seconds=0.3))
        await first.receive_json_from()  # accepted: it holds the only slot
        await second.send_to(text_data=run("second", tasks=1, seconds=0.05))
        # Third arrives once second is queued: two runs sent in the same instant
        # from two sockets have no defined order (with Redis least of all).
        second_events = [await second.receive_json_from(), await second.receive_json_from()]
        assert second_events[-1] == {"type": "queued", "id": "second", "position": 1}
        await third.send_to(text_data=run("third", tasks=1, seconds=0.05))
        second_events += await until_finished(second, "second")
        third_events = await until_finished(third, "third")
        first_events = await until_finished(first, "first")
        assert {"type": "queued", "id": "third", "position": 2} in third_events
        assert {"type": "queued", "id": "third", "position": 1} in third_events
        assert all(e[-1]["status"] == "ok" for e in (first_events, second_events, third_events))
    finally:
        for ws in (first, second, third):
            await ws.disconnect()


async def test_a_queued_run_can_be_cancelled_before_it_starts(settings):
    settings.DEMO_MAX_RUNNING = 1
    runtime.reset()
    holder, waiter = await connect("10.0.0.1"), await connect("10.0.0.2")
    await holder.send_to(text_data=run("holder", tasks=1, seconds=0.5))
    await holder.receive_json_from()
    await waiter.send_to(text_data=run("waiter", tasks=1, seconds=0.05))
    assert (await waiter.receive_json_from())["type"] == "accepted"
    assert (await waiter.receive_json_from())["type"] == "queued"
    await waiter.send_to(text_data=json.dumps({"type": "cancel", "id": "waiter"}))
    finished = (await until_finished(waiter, "waiter"))[-1]
    assert finished["status"] == "cancelled"
    assert runtime.running_gate().waiting == 0
    await holder.disconnect()
    await waiter.disconnect()
