"""A run lets go of what it made as it ends: nothing is left for the garbage
collector to find in a cycle.

Objects in a cycle outlive their run until a full collection, which walks
every object of the process and pauses every reader at once; with a thousand
readers, each leftover run makes those pauses longer and more frequent.
"""

import asyncio
import contextlib
import gc
import json
import weakref

import pytest
from channels.testing import WebsocketCommunicator

from demos.base import Demo, Variant, Where
from demos.runner import DemoExecution
from live import consumers, runtime
from tests.sockets import HEADERS
from tutorialsite.asgi import application

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("fresh_runtime")]


@pytest.fixture
def executions(monkeypatch) -> list[weakref.ref]:
    """Weak references to every DemoExecution the consumer makes."""
    made: list[weakref.ref] = []

    class Recorded(DemoExecution):
        def __init__(self, *args, **kwargs) -> None:
            super().__init__(*args, **kwargs)
            made.append(weakref.ref(self))

    monkeypatch.setattr(consumers, "DemoExecution", Recorded)
    return made


@pytest.fixture
def sockets(monkeypatch) -> list[weakref.ref]:
    """Weak references to every demo socket's consumer."""
    made: list[weakref.ref] = []
    connect = consumers.DemoConsumer.connect

    async def recorded(self) -> None:
        made.append(weakref.ref(self))
        await connect(self)

    monkeypatch.setattr(consumers.DemoConsumer, "connect", recorded)
    return made


@contextlib.contextmanager
def no_cycle_collection():
    was_on = gc.isenabled()
    gc.collect()
    gc.disable()  # what is freed now is freed by reference counting alone
    try:
        yield
    finally:
        if was_on:
            gc.enable()


async def run_a_demo(mode: str = "async") -> WebsocketCommunicator:
    ws = WebsocketCommunicator(application, "/ws/demos/", headers=HEADERS)
    assert (await ws.connect())[0]
    frame = {"type": "run", "id": "r", "demo": "sleep", "mode": mode}
    await ws.send_to(text_data=json.dumps({**frame, "params": {"tasks": 2, "seconds": 0.05}}))
    while (await ws.receive_json_from(timeout=5))["type"] != "finished":
        pass
    await asyncio.sleep(0.05)  # the run's task ends just after its last event
    return ws


async def warm_up() -> None:
    # The first run opens what later ones reuse (with REDIS_URL set, pooled
    # Redis connections, whose opening leaves a cycle in redis-py itself).
    ws = await run_a_demo()
    await ws.disconnect()


@pytest.mark.parametrize("mode", ["async", "sync"])
async def test_a_finished_run_is_freed_without_the_garbage_collector(executions, mode):
    await warm_up()
    with no_cycle_collection():
        ws = await run_a_demo(mode)

        assert len(executions) == 2
        assert executions[1]() is None, "the run's objects are still held, in a cycle"
    await ws.disconnect()


async def test_a_closed_connection_that_ran_a_demo_is_freed_without_the_garbage_collector(
    sockets,
):
    await warm_up()
    with no_cycle_collection():
        ws = await run_a_demo()
        await ws.disconnect()
        del ws
        await asyncio.sleep(0.05)

        assert len(sockets) == 2  # the warm-up's, then this one
        assert sockets[1]() is None, "the closed connection is still held, in a cycle"


@pytest.mark.parametrize("leaving", ["cancel", "disconnect"])
async def test_a_connection_whose_async_run_was_stopped_is_freed_without_the_garbage_collector(
    sockets, leaving
):
    await warm_up()
    with no_cycle_collection():
        ws = WebsocketCommunicator(application, "/ws/demos/", headers=HEADERS)
        assert (await ws.connect())[0]
        frame = {"type": "run", "id": "r", "demo": "sleep", "mode": "async"}
        await ws.send_to(text_data=json.dumps({**frame, "params": {"tasks": 2, "seconds": 5}}))
        while (await ws.receive_json_from(timeout=5))["type"] != "task_started":
            pass
        if leaving == "cancel":
            await ws.send_to(text_data=json.dumps({"type": "cancel", "id": "r"}))
            while (await ws.receive_json_from(timeout=5))["type"] != "finished":
                pass
        await ws.disconnect()
        del ws
        await asyncio.sleep(0.05)

        assert len(sockets) == 2  # the warm-up's, then this one
        assert sockets[1]() is None, "the closed connection is still held, in a cycle"


async def fails() -> None:
    await asyncio.sleep(0)
    raise ValueError("the service said no")


async def succeeds() -> None:
    await asyncio.sleep(0)


async def two_tasks_one_failing() -> None:
    # This module is the program: the tasks made of its coroutines are reported.
    await asyncio.gather(fails(), succeeds())


async def test_a_failed_async_program_is_freed_without_the_garbage_collector():
    demo = Demo(
        name="failing", title="", description="", params=(),
        sync=Variant("Run sync", lambda: None, Where.THREAD),
        async_=Variant("Run async", two_tasks_one_failing, Where.LOOP),
    )  # fmt: skip
    with no_cycle_collection():
        execution = DemoExecution(
            demo, "async", {}, emit=lambda event: None, executor=runtime.sync_executor()
        )
        result = await execution.execute()
        freed = weakref.ref(execution)
        del execution

        assert result.status == "failed"
        assert freed() is None, "the failed run's objects are still held, in a cycle"
