"""Websocket readers for the bench: open many, run a demo on each at once, time it.

A run is timed twice: by the server (the ``elapsed`` it reports in
``finished``) and by the reader (from sending ``run`` to receiving
``finished``), and every event in between is counted, so a run that lost an
event counts as an error, not as a fast run.
"""

import asyncio
import contextlib
import json
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from websockets.asyncio.client import ClientConnection, connect

# Far above any run the bench starts: a stuck run fails the scenario instead of hanging it.
RUN_TIMEOUT = 120
OPEN_SECONDS = 60


@dataclass
class RunTiming:
    server: float | None = None
    client: float | None = None
    status: str | None = None
    events: Counter[str] = field(default_factory=Counter)
    error: str | None = None
    trace_records: int = 0

    def check(self, tasks: int) -> None:
        """Turn a run that missed any event of a complete sleep run into an error."""
        if self.error is not None:
            return
        expected = {
            "accepted": 1,
            "task_started": tasks,
            "output": tasks,
            "task_finished": tasks,
            "finished": 1,
        }
        missing = {k: v for k, v in expected.items() if self.events.get(k, 0) != v}
        if self.status != "ok":
            self.error = f"status {self.status}"
        elif missing:
            self.error = f"events {dict(self.events)} (expected {expected})"


async def open_readers(
    url: str,
    count: int,
    *,
    origin: str,
    concurrency: int = 50,
    addresses: Sequence[str] = ("127.0.0.1",),
) -> list[ClientConnection]:
    """Open ``count`` websockets, at most ``concurrency`` handshakes at a time, each from
    the next of ``addresses`` in turn (on Linux every 127.x.y.z is this machine)."""
    gate = asyncio.Semaphore(concurrency)

    async def one(index: int) -> ClientConnection:
        async with gate:
            return await connect(
                url,
                origin=origin,  # type: ignore[arg-type]
                compression=None,  # daphne does not negotiate it; do not offer it
                open_timeout=OPEN_SECONDS,
                ping_interval=None,
                max_queue=None,
                proxy=None,
                local_addr=(addresses[index % len(addresses)], 0),
            )

    results = await asyncio.gather(*(one(i) for i in range(count)), return_exceptions=True)
    opened = [r for r in results if isinstance(r, ClientConnection)]
    failures = [r for r in results if not isinstance(r, ClientConnection)]
    if failures:
        await close_readers(opened)
        raise RuntimeError(f"{len(failures)} of {count} websockets failed to open: {failures[0]!r}")
    return opened


async def close_readers(readers: list[ClientConnection], concurrency: int = 200) -> None:
    gate = asyncio.Semaphore(concurrency)

    async def one(reader: ClientConnection) -> None:
        async with gate:
            with contextlib.suppress(OSError, TimeoutError):
                await asyncio.wait_for(reader.close(), 10)

    await asyncio.gather(*(one(reader) for reader in readers))


def run_message(run_id: str, mode: str, tasks: int, seconds: float, trace: bool = False) -> str:
    message = {
        "type": "run",
        "id": run_id,
        "demo": "sleep",
        "mode": mode,
        "params": {"tasks": tasks, "seconds": seconds},
    }
    if trace:
        message["trace"] = True
    return json.dumps(message)


async def run_demo(
    reader: ClientConnection,
    run_id: str,
    *,
    mode: str,
    tasks: int,
    seconds: float,
    start: asyncio.Event | None = None,
    trace: bool = False,
) -> RunTiming:
    """Send one run and read until its ``finished``; ``start`` lines many readers up."""
    timing = RunTiming()
    message = run_message(run_id, mode, tasks, seconds, trace)
    if start is not None:
        await start.wait()
    sent = time.perf_counter()
    try:
        await reader.send(message)
        async with asyncio.timeout(RUN_TIMEOUT):
            while True:
                event: dict[str, Any] = json.loads(await reader.recv())
                if event.get("id") != run_id:
                    continue
                timing.events[event["type"]] += 1
                if event["type"] == "trace":
                    timing.trace_records += len(event["records"])
                if event["type"] == "error":
                    timing.error = f"{event.get('code')}: {event.get('message')}"
                    break
                if event["type"] == "finished":
                    timing.client = time.perf_counter() - sent
                    timing.server = float(event["elapsed"])
                    timing.status = event["status"]
                    break
    except Exception as exc:  # a closed socket, a timeout: counted, not raised
        timing.error = f"{type(exc).__name__}: {exc}"
    timing.check(tasks)
    return timing


async def run_all_at_once(
    readers: list[ClientConnection], *, mode: str, tasks: int, seconds: float
) -> list[RunTiming]:
    """One run on every reader, all sent in the same turn of the loop."""
    start = asyncio.Event()
    runs = [
        asyncio.create_task(
            run_demo(reader, f"r{index}", mode=mode, tasks=tasks, seconds=seconds, start=start)
        )
        for index, reader in enumerate(readers)
    ]
    await asyncio.sleep(0.2)  # every task is waiting on the event
    start.set()
    return await asyncio.gather(*runs)
