"""A worker past its deadline: swallowing the cancel defeats the timeout, cleaning up does not."""

import asyncio
import json
import time

import pytest
from channels.testing import WebsocketCommunicator

from tests.demo_runs import ends, lines, run_demo
from tests.sockets import HEADERS
from tutorialsite.asgi import application

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("fresh_runtime")]


def run_frame(mode: str, trace: bool = False, **params) -> str:
    frame = {"type": "run", "id": "t", "demo": "timeouts", "mode": mode, "params": params}
    return json.dumps(frame | {"trace": trace})


async def connect() -> WebsocketCommunicator:
    ws = WebsocketCommunicator(application, "/ws/demos/", headers=HEADERS)
    assert (await ws.connect())[0]
    return ws


async def run(mode: str, trace: bool = False, **params) -> tuple[dict, list[dict]]:
    return await run_demo("timeouts", mode, params, trace=trace)


@pytest.mark.parametrize("trace", [False, True], ids=["plain", "traced"])
async def test_a_worker_that_swallows_the_cancel_keeps_the_block_open_to_the_end(trace):
    finished, events = await run("sync", trace)
    assert finished["status"] == "ok"  # the worker "succeeded", late
    assert lines(events) == [
        "worker: starts 1.0 s of work",
        "worker: cancelled at 0.3 s, in step 3",
        "worker: done at 1.0 s",
        "main: no TimeoutError, the block ended after 1.0 s",
        "main: the worker was cancelled: False",
    ]
    worker = ends(events)[0]
    assert worker["ok"] is True
    assert 0.99 <= worker["t"] < 1.3
    assert 0.99 <= finished["elapsed"] < 1.3


@pytest.mark.parametrize("trace", [False, True], ids=["plain", "traced"])
async def test_a_worker_that_cleans_up_and_lets_the_cancel_go_ends_at_the_deadline(trace):
    finished, events = await run("async", trace)
    assert finished["status"] == "failed"  # the site counts a cancelled task as not ending well
    assert lines(events) == [
        "worker: starts 1.0 s of work",
        "worker: cleaning up at 0.3 s, in step 3",
        "main: timed out after 0.3 s",
        "main: the worker was cancelled: True",
    ]
    worker = ends(events)[0]
    assert worker["ok"] is False
    assert worker["error"] == "cancelled"
    assert 0.29 <= worker["t"] < 0.45
    assert 0.29 <= finished["elapsed"] < 0.5


async def test_the_parameters_set_the_deadline_and_the_work():
    finished, events = await run("async", deadline=0.5, work=0.2)
    assert finished["status"] == "ok"
    assert lines(events) == [
        "worker: starts 0.2 s of work",
        "worker: done at 0.2 s",
        "worker: cleaning up at 0.2 s, in step 2",
        "main: no TimeoutError, the block ended after 0.2 s",
        "main: the worker was cancelled: False",
    ]
    finished, events = await run("sync", deadline=0.2, work=0.6)
    assert "worker: cancelled at 0.2 s, in step 2" in lines(events)
    assert 0.59 <= finished["elapsed"] < 0.9


@pytest.mark.parametrize("after", ["task_started", "output"], ids=["before", "after-timeout"])
async def test_a_reader_s_cancel_stops_the_swallowing_worker_at_once(after):
    # Cancelled while the worker still works, before its deadline or after
    # it has swallowed the timeout's cancel: the run ends long before 2 s.
    ws = await connect()
    await ws.send_to(text_data=run_frame("sync", deadline=0.2, work=2.0))
    while True:
        event = await ws.receive_json_from(timeout=5)
        if event["type"] == after and (after != "output" or "cancelled at" in event["text"]):
            break
    started = time.perf_counter()
    await ws.send_to(text_data=json.dumps({"type": "cancel", "id": "t"}))
    events = []
    while (event := await ws.receive_json_from(timeout=5))["type"] != "finished":
        events.append(event)
    assert time.perf_counter() - started < 0.5
    assert event["status"] == "cancelled"
    assert event["elapsed"] < 1
    assert "worker: done" not in " ".join(lines(events))
    await ws.disconnect()
    await asyncio.sleep(0)
