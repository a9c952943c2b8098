"""CPU work off the loop: the heartbeat keeps beating with to_thread and with a process pool."""

import json
import multiprocessing
import re

import pytest
from channels.testing import WebsocketCommunicator

from tests.demo_runs import ends, lines, run_demo
from tests.sockets import HEADERS
from tutorialsite.asgi import application

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("fresh_runtime")]

HEARTBEAT = re.compile(r"heartbeat: at most (\d+\.\d{3}) s late")


def started(events: list[dict]) -> dict[int, float]:
    return {event["task"]: event["t"] for event in events if event["type"] == "task_started"}


def check_run(finished: dict, events: list[dict]) -> None:
    """Both jobs ran at the same time, and the loop was never held up for long."""
    assert finished["status"] == "ok"
    printed = lines(events)
    # The two jobs print in the order they end; the heartbeat has the last word.
    assert sorted(printed[:2]) == ["job 0: total 9999999", "job 1: total 9999999"]
    assert len(printed) == 3
    match = HEARTBEAT.fullmatch(printed[2])
    assert match is not None
    # Late by a few switch intervals, or a busy machine's scheduling: never by
    # the two jobs' time, as with the work on the loop.
    assert float(match[1]) < 0.25
    begin, end = started(events), ends(events)
    # Lanes 1 and 2 are the jobs: each began before the other ended.
    assert begin[1] < end[2]["t"]
    assert begin[2] < end[1]["t"]
    assert all(record["ok"] for record in end.values())


async def test_with_to_thread_the_loop_keeps_beating_while_both_jobs_run():
    check_run(*await run_demo("cpu_work", "sync", within=20))


async def test_in_a_process_pool_the_loop_keeps_beating_and_no_worker_is_left():
    check_run(*await run_demo("cpu_work", "async", within=20))
    assert multiprocessing.active_children() == []


@pytest.mark.parametrize("mode", ["sync", "async"])
async def test_neither_variant_can_be_traced(mode):
    error, events = await run_demo("cpu_work", mode, trace=True)
    assert error["type"] == "error"
    assert error["code"] == "bad_message"
    assert "out of a trace's reach" in error["message"]
    assert events == []


async def test_a_cancelled_process_run_ends_cancelled_and_shuts_its_pool_down():
    ws = WebsocketCommunicator(application, "/ws/demos/", headers=HEADERS)
    assert (await ws.connect())[0]
    frame = {"type": "run", "id": "c", "demo": "cpu_work", "mode": "async"}
    await ws.send_to(text_data=json.dumps(frame))
    while (await ws.receive_json_from(timeout=20))["type"] != "task_started":
        pass
    await ws.send_to(text_data=json.dumps({"type": "cancel", "id": "c"}))
    while (event := await ws.receive_json_from(timeout=20))["type"] != "finished":
        pass
    await ws.disconnect()
    assert event["status"] == "cancelled"
    # The pool's with block waited for its workers, which then left.
    assert multiprocessing.active_children() == []
