"""One reader cannot starve the others: the pool's threads are shared out fairly.

With the default settings, one address does its worst within the limits (as
many sockets and long sync runs as the rate limit lets it start), and another
reader's short sync run still starts at once, its async run still keeps its
time. Without fair shares the pool's eight threads were
all the first reader's, and the second waited for whole runs to end.
"""

import asyncio
import json
import time

import pytest
from channels.testing import WebsocketCommunicator
from django.conf import settings

from live import run_writer
from tests.sockets import HEADERS
from tutorialsite.asgi import application

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("fresh_runtime")]

GREEDY, OTHER = "10.9.9.9", "10.8.8.8"
# Ten seconds each: a reader waiting for one of them to end would miss the mark.
LONG_SYNC = {"demo": "sleep", "mode": "sync", "params": {"tasks": 10, "seconds": 1.0}}
STARTS_WITHIN = 5.0  # seconds
ASYNC_WITHIN = 0.020  # seconds of the ideal


async def connect(address: str) -> WebsocketCommunicator:
    ws = WebsocketCommunicator(application, "/ws/demos/", headers=HEADERS)
    ws.scope["client"] = (address, 40000)
    assert (await ws.connect(timeout=5))[0]
    return ws


async def send_run(ws: WebsocketCommunicator, run_id: str, run: dict) -> None:
    await ws.send_to(text_data=json.dumps({"type": "run", "id": run_id, **run}))


async def until(ws: WebsocketCommunicator, kind: str, within: float) -> dict:
    deadline = time.monotonic() + within
    while (event := await ws.receive_json_from(timeout=deadline - time.monotonic()))[
        "type"
    ] != kind:
        assert event["type"] != "error", event
    return event


async def leave(*sockets: WebsocketCommunicator) -> None:
    await asyncio.gather(*(ws.disconnect() for ws in sockets))
    await run_writer.writer().drain()  # the runs cut short are stored before the test ends


async def greedy_reader() -> list[WebsocketCommunicator]:
    """As many long pool runs as one address may start: the rate limit's worth."""
    count, _ = settings.DEMO_RATE_LIMIT
    sockets = []
    for number in range(count // settings.DEMO_MAX_PER_CONNECTION):
        ws = await connect(GREEDY)
        for slot in range(settings.DEMO_MAX_PER_CONNECTION):
            await send_run(ws, f"g{number}-{slot}", LONG_SYNC)
        sockets.append(ws)
    for ws in sockets:  # every run accepted before the other reader comes
        await until(ws, "accepted", 5)
        await until(ws, "accepted", 5)
    return sockets


async def test_a_short_sync_run_starts_at_once_while_another_reader_fills_the_pool():
    greedy = await greedy_reader()
    await asyncio.sleep(0.3)  # the greedy runs have taken what they may
    other = await connect(OTHER)
    try:
        sent = time.monotonic()
        await send_run(other, "mine", {"demo": "sleep", "mode": "sync",
                                       "params": {"tasks": 1, "seconds": 0.05}})  # fmt: skip
        await until(other, "task_started", STARTS_WITHIN)
        assert time.monotonic() - sent < STARTS_WITHIN
        assert (await until(other, "finished", 5))["status"] == "ok"
    finally:
        await leave(other, *greedy)


async def test_an_async_run_keeps_its_time_while_another_reader_fills_the_pool():
    greedy = await greedy_reader()
    await asyncio.sleep(0.3)
    other = await connect(OTHER)
    try:
        await send_run(other, "mine", {"demo": "sleep", "mode": "async",
                                       "params": {"tasks": 3, "seconds": 0.2}})  # fmt: skip
        finished = await until(other, "finished", 5)
        assert finished["status"] == "ok"
        assert finished["elapsed"] == pytest.approx(0.2, abs=ASYNC_WITHIN)
    finally:
        await leave(other, *greedy)
