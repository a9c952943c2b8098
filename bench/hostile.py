"""Hostile readers within the limits, and what everyone else still gets.

Two scenarios on one daphne with the default settings, behind nginx running
deploy/nginx.conf as production does (tutorialsite.cluster); the bench's
loopback addresses tell readers apart:

- **fair shares**: one address opens sockets and starts as many of the
  longest sync runs (10 tasks of 5 s) as its rate limit lets it; meanwhile
  another address runs a short sync run (must start within 5 s) and an async
  run (must keep within 20 ms of its ideal time), ten times each;
- **query strings**: one address keeps 200 connections asking for a lesson
  page with a query string as fast as they are answered; meanwhile readers
  from another address load the page without one at a steady rate, from a
  process of their own (p99 under 50 ms), and an async run keeps its time
  (within 20 ms). What the flood got back (pages, nginx's 429 and 503) is
  recorded.

Each is also measured without the hostile reader, as its baseline. Writes
bench/results/hostile.json and prints the table of targets.

    make bench-overload      # or: .venv/bin/python bench/hostile.py
"""

import asyncio
import contextlib
import json
import sys
import tempfile
import time
from pathlib import Path
from types import SimpleNamespace

import websockets

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.http_load import hammer  # noqa: E402
from bench.page_readers import PageReaders  # noqa: E402
from bench.report import RESULTS, Result, Target, say, table, write  # noqa: E402
from bench.server import LESSON_PATH  # noqa: E402
from bench.stats import percentile  # noqa: E402
from bench.ws_load import run_demo, run_message  # noqa: E402
from tests import servers  # noqa: E402

GREEDY = "127.0.9.1"
# The other reader: an address per measurement, each well within its own rate limit.
OTHER = {"alone": "127.0.8.1", "beside": "127.0.8.2", "calm": "127.0.8.3", "flood": "127.0.8.4"}
RATE_LIMIT_RUNS, RUNS_PER_SOCKET = 30, 2  # the defaults: 30 a minute, 2 per page
LONGEST_SYNC = {"tasks": 10, "seconds": 5.0}
SAMPLES = 10
STARTS_WITHIN, ASYNC_WITHIN, PAGE_P99 = 5.0, 0.020, 0.050
FLOOD_CONNECTIONS, FLOOD_SECONDS = 200, 10.0
FLOODER = "127.0.7.1"
# One reader's address, within nginx's 10 requests a second for it.
PAGE_RATE, PAGE_CONNECTIONS = 8, 1
ASYNC_RUN = {"tasks": 3, "seconds": 1.0}


async def connect(site, address: str):
    return await websockets.connect(
        site.ws_url, origin=site.url, local_addr=(address, 0), proxy=None, compression=None
    )


async def next_of(socket, kind: str, run_id: str) -> dict:
    while True:
        event = json.loads(await socket.recv())
        if event.get("id") == run_id and event["type"] in (kind, "error", "finished"):
            if event["type"] == "error":
                raise RuntimeError(f"run {run_id} refused: {event}")
            return event


async def short_sync_starts(socket, label: str) -> list[float]:
    """Seconds from sending a 0.05 s sync run to its first task starting, ten times."""
    starts = []
    for n in range(SAMPLES):
        run_id = f"{label}-sync-{n}"
        sent = time.perf_counter()
        await socket.send(run_message(run_id, "sync", 1, 0.05))
        await next_of(socket, "task_started", run_id)
        starts.append(time.perf_counter() - sent)
        await next_of(socket, "finished", run_id)
    return starts


async def async_errors(socket, label: str, count: int = SAMPLES) -> list[float]:
    """How far each async run's server-reported time is from its ideal."""
    errors = []
    for n in range(count):
        timing = await run_demo(socket, f"{label}-async-{n}", mode="async", **ASYNC_RUN)
        if timing.error:
            raise RuntimeError(f"async run failed: {timing.error}")
        errors.append(abs(timing.server - ASYNC_RUN["seconds"]))
    return errors


@contextlib.asynccontextmanager
async def greedy_reader(site):
    """One address holding the rate limit's worth of the longest sync runs."""
    sockets = []
    try:
        for number in range(RATE_LIMIT_RUNS // RUNS_PER_SOCKET):
            socket = await connect(site, GREEDY)
            sockets.append(socket)
            for slot in range(RUNS_PER_SOCKET):
                frame = {"type": "run", "id": f"g{number}-{slot}", "demo": "sleep",
                         "mode": "sync", "params": LONGEST_SYNC}  # fmt: skip
                await socket.send(json.dumps(frame))
        for number, socket in enumerate(sockets):
            for slot in range(RUNS_PER_SOCKET):
                await next_of(socket, "accepted", f"g{number}-{slot}")
        await asyncio.sleep(0.5)  # its runs have taken what they may
        yield
    finally:
        await asyncio.gather(*(socket.close() for socket in sockets))


async def fair_shares(site, result: Result) -> None:
    alone = await connect(site, OTHER["alone"])
    try:
        alone_starts = await short_sync_starts(alone, "alone")
        alone_errors = await async_errors(alone, "alone")
    finally:
        await alone.close()
    async with greedy_reader(site):
        beside = await connect(site, OTHER["beside"])
        try:
            starts = await short_sync_starts(beside, "beside")
            errors = await async_errors(beside, "beside")
        finally:
            await beside.close()
    result.targets += [
        Target("fair shares: short sync run starts, slowest of 10", max(starts), STARTS_WITHIN,
               "s", max(alone_starts), "alone"),
        Target("fair shares: async run, worst error of 10", max(errors) * 1000,
               ASYNC_WITHIN * 1000, "ms", max(alone_errors) * 1000, "alone"),
    ]  # fmt: skip
    result.measurements["fair_shares"] = {
        "greedy_runs": RATE_LIMIT_RUNS,
        "greedy_run": LONGEST_SYNC,
        "sync_start_s": {"alone": alone_starts, "beside": starts},
        "async_error_s": {"alone": alone_errors, "beside": errors},
    }


async def pages_and_demo(site, port: int, flood: bool) -> dict:
    """Cached page latencies and async runs' errors, with or without the flood."""
    readers = await PageReaders.start(
        port, LESSON_PATH, rate=PAGE_RATE, seconds=FLOOD_SECONDS, connections=PAGE_CONNECTIONS
    )
    socket = await connect(site, OTHER["flood" if flood else "calm"])
    try:
        flooding = None
        if flood:
            path = LESSON_PATH + "?x=1"
            flooding = asyncio.create_task(
                hammer("127.0.0.1", port, path, connections=FLOOD_CONNECTIONS,
                       duration=FLOOD_SECONDS, source=FLOODER)
            )  # fmt: skip
            await asyncio.sleep(0.5)  # the flood is under way before anything is timed
        readers.go()
        runs = int((FLOOD_SECONDS - 1.5) // ASYNC_RUN["seconds"])
        errors = await async_errors(socket, "flood" if flood else "calm", count=runs)
        pages = await readers.result()
        flooded = await flooding if flooding is not None else None
    finally:
        readers.stop()
        await socket.close()
    return {
        "page_p99_s": percentile(pages.latencies, 99) if pages.latencies else float("nan"),
        "page_errors": pages.errors,
        "async_error_s": errors,
        "flood_pages_per_s": flooded.rate if flooded else None,
        "flood_statuses": flooded.statuses if flooded else None,
    }


async def query_strings(site, result: Result) -> None:
    port = int(site.url.rsplit(":", 1)[1])
    calm = await pages_and_demo(site, port, flood=False)
    flood = await pages_and_demo(site, port, flood=True)
    result.targets += [
        Target("query strings: lesson page p99 under the flood", flood["page_p99_s"] * 1000,
               PAGE_P99 * 1000, "ms", calm["page_p99_s"] * 1000, "calm"),
        Target("query strings: async run, worst error", max(flood["async_error_s"]) * 1000,
               ASYNC_WITHIN * 1000, "ms", max(calm["async_error_s"]) * 1000, "calm"),
        Target("query strings: readers' pages failed or not 200",
               calm["page_errors"] + flood["page_errors"], 0, "requests"),
    ]  # fmt: skip
    result.measurements["query_strings"] = {"calm": calm, "flood": flood}


async def measure(site, result: Result) -> None:
    say("fair shares ...")
    await fair_shares(site, result)
    say("query strings ...")
    await query_strings(site, result)


@contextlib.contextmanager
def behind_nginx(folder: Path):
    """One daphne with the bundled lessons, behind nginx as production runs it."""
    env = servers.site_env(folder / "site.sqlite3", servers.free_port())
    servers.manage(env, "migrate", "--noinput")
    servers.manage(env, "load_lessons")
    with servers.running_cluster(env, processes=1) as cluster:
        yield SimpleNamespace(
            url=cluster.url, ws_url=cluster.url.replace("http", "ws", 1) + "/ws/demos/"
        )


def main() -> int:
    result = Result("hostile", "hostile readers within the limits", quick=False)
    with tempfile.TemporaryDirectory() as tmp, behind_nginx(Path(tmp)) as site:
        asyncio.run(measure(site, result))
    path = write(result, RESULTS)
    print(table([json.loads(path.read_text())]))
    say(f"written to {path.relative_to(ROOT)}")
    return 0 if all(t.met for t in result.targets) else 1


if __name__ == "__main__":
    sys.exit(main())
