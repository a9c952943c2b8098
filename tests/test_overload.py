"""Overload: 200 sockets asking for far more runs than the caps allow.

Every run must be accounted for: it finishes, is refused (``busy`` or
``rate_limited``), or is cancelled with a reason; none is lost silently. The
caps must hold while it happens, pages must still load, and afterwards nothing
may be left running. The 2,000-socket version with its figures is
bench/overload.py (``make bench-overload``).
"""

import asyncio
import json
from collections import Counter
from dataclasses import dataclass, field

import pytest
from channels.testing import WebsocketCommunicator
from django.test import AsyncClient

from live import runtime, shutdown
from live.models import DemoRun
from tests.sockets import HEADERS
from tutorialsite.asgi import application

pytestmark = pytest.mark.django_db(transaction=True)

SOCKETS = 200
RUNS_PER_SOCKET = 3  # one more than a connection may run at once
MAX_RUNNING = 10
SYNC_WORKERS = 2
RATE = (2, 60)  # per address
SHARED_ADDRESS = 150  # sockets from this number on share one address (one household, say)
NOT_STARTED = "Cancelled before it started."
SECONDS, LEAVER_SECONDS = 0.05, 0.1


@dataclass
class Reader:
    number: int
    ws: WebsocketCommunicator
    leaves_early: bool
    cancels_one: bool
    outcomes: dict[str, dict] = field(default_factory=dict)
    seen: Counter = field(default_factory=Counter)

    @property
    def run_ids(self) -> list[str]:
        return [f"s{self.number}-{n}" for n in range(RUNS_PER_SOCKET)]


@pytest.fixture
def small_caps(settings):
    settings.DEMO_MAX_RUNNING = MAX_RUNNING
    settings.DEMO_SYNC_WORKERS = SYNC_WORKERS
    settings.DEMO_RATE_LIMIT = RATE
    runtime.reset()
    yield
    runtime.reset()


async def open_reader(number: int) -> Reader:
    ws = WebsocketCommunicator(application, "/ws/demos/", headers=HEADERS)
    address = f"10.1.{number // 250}.{number % 250}" if number < SHARED_ADDRESS else "10.2.0.1"
    ws.scope["client"] = (address, 40000 + number)
    assert (await ws.connect(timeout=10))[0]
    return Reader(number, ws, leaves_early=number % 10 == 9, cancels_one=number % 7 == 3)


async def storm(reader: Reader) -> None:
    mode = "async" if reader.number % 2 else "sync"
    # Leavers' runs take a little longer, which also tells their stored runs apart.
    params = {"tasks": 1, "seconds": LEAVER_SECONDS if reader.leaves_early else SECONDS}
    for run_id in reader.run_ids:
        frame = {"type": "run", "id": run_id, "demo": "sleep", "mode": mode, "params": params}
        await reader.ws.send_to(text_data=json.dumps(frame))
    if reader.cancels_one:
        await reader.ws.send_to(text_data=json.dumps({"type": "cancel", "id": reader.run_ids[1]}))
    while len(reader.outcomes) < RUNS_PER_SOCKET:
        event = await reader.ws.receive_json_from(timeout=30)
        reader.seen[event["type"]] += 1
        if event["type"] == "accepted" and reader.leaves_early:
            await reader.ws.disconnect(timeout=20)  # the server cancels its runs
            return
        if event["type"] == "error" and event.get("code") == "unknown_run":
            continue  # the cancel came after that run had already ended
        if event["type"] in {"finished", "error"}:
            assert event["id"] not in reader.outcomes, event
            reader.outcomes[event["id"]] = event
    await reader.ws.disconnect(timeout=20)


async def watch(gate, peaks: list[int], stop: asyncio.Event) -> None:
    while not stop.is_set():
        peaks.append(gate.running)
        await asyncio.sleep(0.002)


async def load_pages(count: int) -> list[int]:
    client = AsyncClient()
    return [(await client.get("/")).status_code for _ in range(count)]


# A coroutine never awaited (a task cancelled before it started) fails the test.
@pytest.mark.filterwarnings("error::pytest.PytestUnraisableExceptionWarning")
async def test_every_run_is_finished_refused_or_cancelled_and_the_caps_hold(small_caps, lessons):
    readers = [await open_reader(n) for n in range(SOCKETS)]
    stop = asyncio.Event()
    running_peaks: list[int] = []
    thread_peaks: list[int] = []
    watchers = [
        asyncio.create_task(watch(runtime.running_gate(), running_peaks, stop)),
        asyncio.create_task(watch(runtime.thread_gate(), thread_peaks, stop)),
    ]
    pages = asyncio.create_task(load_pages(20))
    await asyncio.wait_for(asyncio.gather(*(storm(r) for r in readers)), timeout=60)
    page_statuses = await pages
    stop.set()
    await asyncio.gather(*watchers)

    # Every run of every reader who stayed has exactly one ending.
    endings: Counter = Counter()
    for reader in (r for r in readers if not r.leaves_early):
        assert sorted(reader.outcomes) == reader.run_ids
        for event in reader.outcomes.values():
            if event["type"] == "error":
                assert event["code"] in {"busy", "rate_limited"}, event
                assert event["message"]
                endings[event["code"]] += 1
            elif event["status"] == "cancelled":
                assert event["reason"] == "cancelled by the reader", event
                endings["cancelled"] += 1
            else:
                assert event["status"] == "ok", event
                endings["ok"] += 1
    # The storm really went past every cap.
    assert endings["busy"] > 0
    assert endings["rate_limited"] > 0
    assert endings["cancelled"] > 0
    assert endings["ok"] > MAX_RUNNING
    assert sum(r.seen["queued"] for r in readers) > 0
    assert max(running_peaks) == MAX_RUNNING
    assert max(thread_peaks) == SYNC_WORKERS

    # Pages kept loading meanwhile.
    assert page_statuses == [200] * 20

    # Nothing is left running, waiting or registered.
    assert runtime.running_gate().running == 0
    assert runtime.running_gate().waiting == 0
    assert runtime.thread_gate().running == 0
    assert shutdown.live_connections() == 0
    await asyncio.sleep(0)
    current = asyncio.current_task()
    assert [t for t in asyncio.all_tasks() if t is not current and not t.done()] == []

    # Every run that started is stored: each one that finished for those who
    # stayed, and no more than were accepted for those who left.
    started = sum(
        1
        for reader in readers
        for event in reader.outcomes.values()
        if event["type"] == "finished" and event["summary"] != NOT_STARTED
    )
    stored_params = DemoRun.objects.values_list("params", flat=True)
    stored = [params["seconds"] async for params in stored_params]
    assert stored.count(SECONDS) == started
    leavers = sum(1 for r in readers if r.leaves_early)
    assert 0 < stored.count(LEAVER_SECONDS) <= leavers * 2  # two runs at most were admitted
