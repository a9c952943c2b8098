"""Sync variants never run on the server's event loop: a heartbeat keeps ticking."""

import asyncio
import json
import time

import pytest
from channels.testing import WebsocketCommunicator

from tests.sockets import HEADERS
from tutorialsite.asgi import application

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("fresh_runtime")]


async def heartbeat_gaps(until: asyncio.Event, every: float = 0.01) -> list[float]:
    gaps = []
    last = time.perf_counter()
    while not until.is_set():
        await asyncio.sleep(every)
        now = time.perf_counter()
        gaps.append(now - last)
        last = now
    return gaps


async def run_beside_heartbeat(demo: str, mode: str, params: dict) -> tuple[dict, list[float]]:
    ws = WebsocketCommunicator(application, "/ws/demos/", headers=HEADERS)
    assert (await ws.connect())[0]
    done = asyncio.Event()
    beat = asyncio.create_task(heartbeat_gaps(done))
    frame = {"type": "run", "id": "r", "demo": demo, "mode": mode, "params": params}
    await ws.send_to(text_data=json.dumps(frame))
    while (event := await ws.receive_json_from(timeout=10))["type"] != "finished":
        pass
    done.set()
    gaps = await beat
    await ws.disconnect()
    return event, gaps


async def test_a_sync_sleep_run_leaves_the_event_loop_free():
    finished, gaps = await run_beside_heartbeat("sleep", "sync", {"tasks": 2, "seconds": 0.3})
    assert finished["status"] == "ok"
    assert finished["elapsed"] >= 0.6
    assert len(gaps) > 20
    assert max(gaps) < 0.05


async def test_the_blocking_demo_stalls_only_its_own_loop():
    finished, gaps = await run_beside_heartbeat("blocking", "sync", {"tasks": 2, "block": 0.5})
    assert finished["status"] == "ok"
    # Had the 0.5 s time.sleep run on this loop, one gap would be 0.5 s long; the
    # bound is loose because other processes on a busy machine delay ticks too.
    assert max(gaps) < 0.25
