"""Cancel and disconnect: a run stops early, says so, and leaves nothing running."""

import asyncio
import functools
import gc
import json
import threading
import time
from pathlib import Path

import pytest
from channels.testing import WebsocketCommunicator

import demos.programs
from demos.base import Demo, Variant, Where
from demos.registry import get_demo
from demos.reporting import print  # noqa: A004 (the demos' own print)
from demos.runner import DemoExecution
from live import runtime
from live.consumers import DemoConsumer
from live.models import DemoRun
from tests.sockets import HEADERS
from tutorialsite.asgi import application

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("fresh_runtime")]


async def connect() -> WebsocketCommunicator:
    communicator = WebsocketCommunicator(application, "/ws/demos/", headers=HEADERS)
    assert (await communicator.connect())[0]
    return communicator


def run(run_id: str, mode: str, demo: str = "sleep", **params) -> str:
    return json.dumps({"type": "run", "id": run_id, "demo": demo, "mode": mode, "params": params})


def cancel(run_id: str) -> str:
    return json.dumps({"type": "cancel", "id": run_id})


async def next_of(ws, kind: str) -> dict:
    while (event := await ws.receive_json_from(timeout=5))["type"] != kind:
        pass
    return event


PROGRAMS = Path(demos.programs.__file__).parent


def demo_threads_busy() -> int:
    return sum(1 for t in threading.enumerate() if t.name.startswith("demo") and _is_working(t))


def _is_working(thread: threading.Thread) -> bool:
    # Idle pool threads wait on the work queue; a working one is inside a demo.
    frame = __import__("sys")._current_frames().get(thread.ident)
    while frame is not None:
        if Path(frame.f_code.co_filename).parent == PROGRAMS:
            return True
        frame = frame.f_back
    return False


async def test_cancelling_an_async_run_stops_it_at_once():
    ws = await connect()
    await ws.send_to(text_data=run("r", "async", tasks=3, seconds=5))
    await next_of(ws, "task_started")
    started = time.perf_counter()
    await ws.send_to(text_data=cancel("r"))
    finished = await next_of(ws, "finished")
    assert time.perf_counter() - started < 1
    assert finished["status"] == "cancelled"
    assert finished["reason"] == "cancelled by the reader"
    assert finished["elapsed"] < 1
    await ws.disconnect()
    stored = await DemoRun.objects.aget()
    assert stored.status == "cancelled"
    assert all(task["ok"] is False for task in stored.timeline)


async def test_cancelling_a_sync_run_stops_it_before_its_next_task():
    ws = await connect()
    await ws.send_to(text_data=run("r", "sync", tasks=5, seconds=0.2))
    await next_of(ws, "task_started")
    await ws.send_to(text_data=cancel("r"))
    events = []
    while (event := await ws.receive_json_from(timeout=5))["type"] != "finished":
        events.append(event)
    assert event["status"] == "cancelled"
    started = [e for e in events if e["type"] == "task_started"]
    assert len(started) <= 1  # the task that was sleeping finishes; no new one starts
    assert event["elapsed"] < 0.5
    await ws.disconnect()


async def test_a_disconnect_cancels_async_runs_and_leaves_no_task():
    ws = await connect()
    await ws.send_to(text_data=run("r", "async", tasks=3, seconds=5))
    await next_of(ws, "task_started")
    before = time.perf_counter()
    await ws.disconnect()
    assert time.perf_counter() - before < 1
    await asyncio.sleep(0)
    leftovers = [
        task
        for task in asyncio.all_tasks()
        if task is not asyncio.current_task() and not task.done()
    ]
    assert leftovers == []
    assert runtime.running_gate().running == 0
    assert (await DemoRun.objects.aget()).status == "cancelled"


async def test_a_disconnect_stops_a_sync_run_and_frees_its_thread():
    ws = await connect()
    await ws.send_to(text_data=run("r", "sync", tasks=10, seconds=0.1))
    await next_of(ws, "task_started")
    assert demo_threads_busy() == 1
    await ws.disconnect()
    assert demo_threads_busy() == 0
    assert runtime.thread_gate().running == 0
    stored = await DemoRun.objects.aget()
    assert stored.status == "cancelled"
    assert len(stored.timeline) < 10


async def test_a_disconnect_stops_a_blocking_demo_on_its_private_loop():
    ws = await connect()
    await ws.send_to(text_data=run("r", "async", demo="blocking", tasks=3, block=3))
    await next_of(ws, "task_started")
    await ws.disconnect()
    assert demo_threads_busy() == 0
    assert (await DemoRun.objects.aget()).status == "cancelled"


async def test_a_run_cancelled_twice_finishes_once():
    ws = await connect()
    await ws.send_to(text_data=run("r", "async", tasks=1, seconds=5))
    await next_of(ws, "task_started")
    await ws.send_to(text_data=cancel("r"))
    await ws.send_to(text_data=cancel("r"))
    await next_of(ws, "finished")
    later = []
    while not await ws.receive_nothing(timeout=0.2):
        later.append(await ws.receive_json_from())
    # The second cancel reached the run while it stopped (no answer) or after it
    # ended (unknown_run); it never brings a second "finished".
    assert all(event["type"] == "error" and event["code"] == "unknown_run" for event in later)
    await ws.disconnect()


async def test_a_disconnect_waits_for_what_is_pending_and_no_longer():
    consumer = DemoConsumer()
    consumer.runs, consumer.watching, consumer.outbox, consumer.sender = {}, set(), [], None
    loop = asyncio.get_running_loop()
    finished = loop.create_future()
    finished.set_result(None)  # done, though its own clean-up has not run yet
    storing = loop.create_future()
    loop.call_later(0.05, storing.set_result, None)
    consumer.run_tasks = {finished, storing}

    await asyncio.wait_for(consumer.disconnect(1000), 2)

    assert storing.done()


@pytest.mark.parametrize(("mode", "demo"), [("sync", "sleep"), ("async", "blocking")])
async def test_a_run_cancelled_before_its_thread_starts_never_starts(settings, mode, demo):
    settings.DEMO_SYNC_WORKERS = 1
    free = threading.Event()
    runtime.sync_executor().submit(free.wait)  # the pool's one thread is busy
    ws = await connect()
    await ws.send_to(text_data=run("r", mode, demo))
    assert (await ws.receive_json_from(timeout=5))["type"] == "accepted"

    await ws.send_to(text_data=cancel("r"))
    await asyncio.sleep(0.05)  # the cancel is in before the thread is free
    free.set()
    finished = await next_of(ws, "finished")
    await ws.disconnect()

    # As for a run cancelled while queued for capacity: nothing ran, nothing is stored.
    assert finished["status"] == "cancelled"
    assert finished["summary"] == "Cancelled before it started."
    assert finished["reason"] == "cancelled by the reader"
    assert await DemoRun.objects.acount() == 0


async def test_a_cancel_that_comes_after_a_private_loop_run_ended_is_harmless():
    execution = DemoExecution(
        get_demo("blocking"),
        "async",
        {"tasks": 2, "block": 0.1},
        emit=lambda event: None,
        executor=runtime.sync_executor(),
    )
    result = await execution.execute()

    execution.cancel("the reader left")  # its private loop is closed by now

    assert result.status == "ok"


def sleep_execution(**params) -> DemoExecution:
    return DemoExecution(
        get_demo("sleep"), "async", params, emit=lambda event: None,
        executor=runtime.sync_executor(),
    )  # fmt: skip


async def test_a_cancelled_async_run_leaves_the_task_that_awaited_it_uncancelled():
    # The program runs in the caller's own task: the run's cancel must not
    # leave that task cancelling, or its next await would be cut short.
    execution = sleep_execution(tasks=2, seconds=5)

    async def caller() -> tuple[str, int, float]:
        result = await execution.execute()
        still_cancelling = asyncio.current_task().cancelling()
        await asyncio.sleep(0.01)  # raises if a cancel were still pending
        return result.status, still_cancelling, result.elapsed

    awaiting = asyncio.create_task(caller())
    await asyncio.sleep(0.05)
    execution.cancel("cancelled by the reader")
    status, still_cancelling, elapsed = await asyncio.wait_for(awaiting, 2)

    assert (status, still_cancelling) == ("cancelled", 0)
    assert elapsed < 1


async def test_a_caller_cancelled_together_with_its_run_stays_cancelled():
    execution = sleep_execution(tasks=1, seconds=5)
    awaiting = asyncio.create_task(execution.execute())
    await asyncio.sleep(0.05)

    execution.cancel("the reader left")
    awaiting.cancel()  # and the server stops the caller too

    with pytest.raises(asyncio.CancelledError):
        await asyncio.wait_for(awaiting, 2)


async def test_a_caller_cancelled_alone_is_not_turned_into_a_cancelled_run():
    execution = sleep_execution(tasks=1, seconds=5)
    awaiting = asyncio.create_task(execution.execute())
    await asyncio.sleep(0.05)

    awaiting.cancel()

    with pytest.raises(asyncio.CancelledError):
        await asyncio.wait_for(awaiting, 2)


async def test_a_cancel_made_by_the_running_program_itself_leaves_its_caller_alone():
    # The program's top level runs in the caller's task, and a cancel made from
    # there (through its emit) cannot cancel that task: on Python 3.12 a task's
    # cancel of itself outlives uncancel and would cut the caller's next await.
    async def last_words() -> None:
        await asyncio.sleep(0)
        print("done")  # its emit cancels the run; the program returns at once

    demo = Demo(
        name="last-words", title="", description="", params=(),
        sync=Variant("Run sync", lambda: None, Where.THREAD),
        async_=Variant("Run async", last_words, Where.LOOP),
    )  # fmt: skip
    execution = None

    def emit(event: dict) -> None:
        if event["type"] == "output":
            execution.cancel("cancelled by the reader")

    execution = DemoExecution(demo, "async", {}, emit=emit, executor=runtime.sync_executor())

    async def caller() -> str:
        result = await execution.execute()
        await asyncio.sleep(0.01)  # raises if a cancel were still pending
        return result.status

    assert await asyncio.wait_for(caller(), 2) == "ok"  # it had finished its work


async def test_a_run_giving_back_its_capacity_is_not_cut_short_by_a_disconnect(monkeypatch):
    # With Redis, giving back a place of the shared gate is a call to make;
    # a disconnect while it goes must not cancel it, or the place stays taken
    # until its lease runs out.
    given_back = asyncio.Event()

    class SlowToGiveBack:
        async def acquire(self, on_position, client) -> None:
            pass

        async def release(self, client) -> None:
            await asyncio.sleep(0.05)
            given_back.set()

    class Full:
        async def acquire(self, on_position, client) -> None:
            await asyncio.Event().wait()  # never a place: the run waits here

        async def release(self, client) -> None:
            pass

    # Cached like the real ones, which runtime.reset() clears.
    monkeypatch.setattr(runtime, "thread_gate", functools.cache(SlowToGiveBack))
    monkeypatch.setattr(runtime, "running_gate", functools.cache(Full))
    ws = await connect()
    await ws.send_to(text_data=run("r", "sync", tasks=1, seconds=0.05))
    await next_of(ws, "accepted")
    await ws.send_to(text_data=cancel("r"))  # while it waits for the second gate
    assert (await next_of(ws, "finished"))["summary"] == "Cancelled before it started."

    await ws.disconnect()  # as the run gives its first gate back

    await asyncio.wait_for(given_back.wait(), 1)


@pytest.mark.parametrize("who", ["run", "caller"])
async def test_tasks_cancelled_before_they_began_leave_no_coroutine_never_awaited(recwarn, who):
    execution = sleep_execution(tasks=3, seconds=5)
    awaiting = asyncio.create_task(execution.execute())
    await asyncio.sleep(0)  # main has made its tasks; none has begun
    assert [record["start"] for record in execution.reporter.tasks] == [None] * 3

    if who == "run":
        execution.cancel("cancelled by the reader")
        assert (await asyncio.wait_for(awaiting, 2)).status == "cancelled"
    else:
        awaiting.cancel()
        with pytest.raises(asyncio.CancelledError):
            await asyncio.wait_for(awaiting, 2)
    del execution, awaiting  # what was never closed is freed, and warned about
    for _ in range(3):
        await asyncio.sleep(0)  # the loop lets go of the tasks' last steps
    gc.collect()

    assert [str(w.message) for w in recwarn if "never awaited" in str(w.message)] == []
