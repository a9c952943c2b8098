"""Graceful stop: on SIGTERM, readers with runs in progress hear that the server is restarting.

The first tests drive ``shutdown.stop_all`` directly with in-process sockets;
the last sends a real SIGTERM to a real daphne and reads its SQLite database.
"""

import asyncio
import json
import signal
import sqlite3
import time

import pytest
import websockets
from channels.testing import WebsocketCommunicator

from demos.runner import RunResult, summary_for
from live import runtime, services, shutdown
from live.models import DemoRun
from tests.servers import running_site
from tests.sockets import HEADERS
from tutorialsite.asgi import application

pytestmark = pytest.mark.usefixtures("fresh_runtime")


def run(run_id: str, mode: str, **params) -> str:
    frame = {"type": "run", "id": run_id, "demo": "sleep", "mode": mode, "params": params}
    return json.dumps(frame)


async def connect(client: str = "10.0.0.1") -> WebsocketCommunicator:
    ws = WebsocketCommunicator(application, "/ws/demos/", headers=HEADERS)
    ws.scope["client"] = (client, 50000)
    assert (await ws.connect())[0]
    return ws


async def until(ws, kind: str) -> dict:
    while (event := await ws.receive_output(timeout=5))["type"] != "websocket.send" or (
        json.loads(event["text"])["type"] != kind
    ):
        pass
    return json.loads(event["text"])


async def rest_of(ws) -> tuple[list[dict], dict]:
    """Every message until the socket is closed, and the close message."""
    events = []
    while (message := await ws.receive_output(timeout=5))["type"] == "websocket.send":
        events.append(json.loads(message["text"]))
    return events, message


@pytest.mark.django_db(transaction=True)
async def test_stopping_cancels_every_run_with_the_reason_before_closing():
    sync_ws, async_ws = await connect("10.0.0.1"), await connect("10.0.0.2")
    await sync_ws.send_to(text_data=run("s", "sync", tasks=5, seconds=0.2))
    await async_ws.send_to(text_data=run("a", "async", tasks=3, seconds=5))
    await until(sync_ws, "task_started")
    await until(async_ws, "task_started")

    await shutdown.stop_all(grace=5)

    for ws, run_id in ((sync_ws, "s"), (async_ws, "a")):
        events, closed = await rest_of(ws)
        finished = events[-1]
        assert finished["type"] == "finished"
        assert finished["id"] == run_id
        assert finished["status"] == "cancelled"
        assert "restarting" in finished["reason"]
        assert closed == {"type": "websocket.close", "code": shutdown.RESTART_CLOSE_CODE}
        await ws.disconnect()
    stored = [run async for run in DemoRun.objects.order_by("mode")]
    assert [(r.mode, r.status) for r in stored] == [("async", "cancelled"), ("sync", "cancelled")]
    assert all("restarting" in r.reason for r in stored)
    assert runtime.running_gate().running == 0
    assert shutdown.live_connections() == 0


@pytest.mark.django_db(transaction=True)
async def test_a_queued_run_is_told_too(settings):
    settings.DEMO_MAX_RUNNING = 1
    runtime.reset()
    holder, waiter = await connect("10.0.0.1"), await connect("10.0.0.2")
    await holder.send_to(text_data=run("h", "async", tasks=1, seconds=5))
    await until(holder, "task_started")
    await waiter.send_to(text_data=run("w", "async", tasks=1, seconds=0.05))
    await until(waiter, "queued")

    await shutdown.stop_all(grace=5)

    events, _ = await rest_of(waiter)
    assert events[-1]["status"] == "cancelled"
    assert "restarting" in events[-1]["reason"]
    assert runtime.running_gate().waiting == 0
    for ws in (holder, waiter):
        await ws.disconnect()


@pytest.mark.django_db(transaction=True)
async def test_an_idle_socket_is_closed_with_the_restart_code():
    ws = await connect()
    await shutdown.stop_all(grace=5)
    assert await ws.receive_output(timeout=1) == {
        "type": "websocket.close",
        "code": shutdown.RESTART_CLOSE_CODE,
    }
    await ws.disconnect()


async def test_with_nothing_connected_stopping_returns_at_once():
    started = time.perf_counter()
    await shutdown.stop_all()
    assert time.perf_counter() - started < 0.1


@pytest.mark.django_db(transaction=True)
async def test_before_daphne_stops_queued_runs_are_written():
    result = RunResult(status="ok", elapsed=0.1, summary=summary_for(0.1))
    stored = services.demo_run_record(demo="sleep", mode="async", params={}, result=result)

    await shutdown.before_daphne_stops()

    # Written now, not after the writer's quiet interval: the stop waited for it.
    assert stored.done()
    assert stored.result() is not None
    assert await DemoRun.objects.acount() == 1


# ---------------------------------------------------------------------------
# A real daphne and a real SIGTERM


async def start_and_wait(socket, frame: str) -> None:
    await socket.send(frame)
    while json.loads(await socket.recv())["type"] != "task_started":
        pass


async def read_until_closed(socket) -> tuple[list[dict], int | None]:
    events = []
    try:
        while True:
            events.append(json.loads(await socket.recv()))
    except websockets.ConnectionClosed as closed:
        return events, closed.rcvd.code if closed.rcvd else None


@pytest.mark.slow
def test_sigterm_tells_readers_and_stores_their_runs_as_cancelled(tmp_path):
    async def scenario(site) -> list[tuple[list[dict], int | None]]:
        async with (
            websockets.connect(site.ws_url, origin=site.url) as sync_socket,
            websockets.connect(site.ws_url, origin=site.url) as async_socket,
        ):
            await start_and_wait(sync_socket, run("s", "sync", tasks=5, seconds=1))
            await start_and_wait(async_socket, run("a", "async", tasks=3, seconds=5))
            site.daphne.send_signal(signal.SIGTERM)
            return await asyncio.wait_for(
                asyncio.gather(read_until_closed(sync_socket), read_until_closed(async_socket)),
                timeout=20,
            )

    with running_site(tmp_path) as site:
        outcomes = asyncio.run(scenario(site))
        assert site.daphne.wait(timeout=20) == 0

    for (events, close_code), run_id in zip(outcomes, ("s", "a"), strict=True):
        finished = events[-1]
        assert finished["type"] == "finished"
        assert finished["id"] == run_id
        assert finished["status"] == "cancelled"
        assert "server is restarting" in finished["reason"]
        assert close_code == shutdown.RESTART_CLOSE_CODE
    with sqlite3.connect(tmp_path / "site.sqlite3") as db:
        query = "SELECT mode, status, reason FROM lessons_demorun ORDER BY mode"
        stored = db.execute(query).fetchall()
    assert [(mode, status) for mode, status, _ in stored] == [
        ("async", "cancelled"),
        ("sync", "cancelled"),
    ]
    assert all("server is restarting" in reason for _, _, reason in stored)
