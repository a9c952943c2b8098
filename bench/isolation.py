"""Scenario 3, isolation: 50 sync runs hold 50 threads; does anyone else notice?

Idle and loaded windows alternate. In each, readers load the lesson page at a
steady 200 pages a second (over four connections, from a process of their
own: bench.page_readers), and a heartbeat on the server's event loop records
how late a 10 ms sleep wakes. In a loaded window,
50 readers each start the sync sleep demo (3 tasks of 1 s, so 50 pool threads
sleeping at once) and one more reader starts the async sleep demo (3 tasks of
1 s), whose time must stay within 20 ms of 1 s.
"""

import asyncio
import json
import sys

from bench.http_load import fetch, paced
from bench.page_readers import PageReaders
from bench.report import Result, Target, say
from bench.server import HOST, LESSON_PATH, ROOT, Site, Workspace
from bench.stats import median, percentile
from bench.ws_load import close_readers, open_readers, run_demo

SYNC_RUNS, TASKS, SECONDS = 50, 3, 1.0
ASYNC_IDEAL = SECONDS
# Steady readers rather than a flood: pages/s is the pages scenario's business,
# and at thousands of requests a second daphne's once-a-second sweep of finished
# requests alone holds the loop for tens of milliseconds.
PAGE_RATE = 200
PAGE_CONNECTIONS = 4
PAGE_SECONDS = 2.4  # inside the 3 s the sync runs last
FIDELITY_SLACK, LAG_LIMIT, PAGE_RATIO = 0.020, 0.020, 2.0


def run(space: Workspace, quick: bool) -> Result:
    result = Result("isolation", "50 sync runs going: pages, the loop, an async run", quick)
    with space.site("isolation") as site:
        asyncio.run(_measure(site, result, rounds=1 if quick else 3))
    return result


async def _heartbeat(site: Site, action: str) -> list[float]:
    status, body = await fetch(HOST, site.port, f"/bench/heartbeat/{action}/")
    assert status == 200, body
    return json.loads(body).get("lags", [])


async def _machine_heartbeat(seconds: float) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bench.heartbeat",
        str(seconds),
        cwd=ROOT,
        stdout=asyncio.subprocess.PIPE,
    )


async def _window(site: Site, loaded: bool) -> dict:
    # Started first, so its interpreter's start-up is over before anything is timed.
    page_readers = await PageReaders.start(
        site.port,
        LESSON_PATH,
        rate=PAGE_RATE,
        seconds=PAGE_SECONDS,
        connections=PAGE_CONNECTIONS,
    )
    try:
        return await _timed_window(site, loaded, page_readers)
    finally:
        page_readers.stop()


async def _timed_window(site: Site, loaded: bool, page_readers: PageReaders) -> dict:
    control = await _machine_heartbeat(TASKS * SECONDS + 0.4 if loaded else PAGE_SECONDS)
    await _heartbeat(site, "start")
    runs: list = []
    if loaded:
        readers = await open_readers(site.ws_url + "/ws/demos/", SYNC_RUNS + 1, origin=site.origin)
        start = asyncio.Event()
        going = [
            asyncio.create_task(
                run_demo(reader, f"s{i}", mode="sync", tasks=TASKS, seconds=SECONDS, start=start)
            )
            for i, reader in enumerate(readers[:SYNC_RUNS])
        ] + [
            asyncio.create_task(
                run_demo(readers[-1], "a", mode="async", tasks=TASKS, seconds=SECONDS, start=start)
            )
        ]
        await asyncio.sleep(0.1)
        start.set()
        await asyncio.sleep(0.2)  # every thread is sleeping by now
    page_readers.go()
    page = await page_readers.result()
    if loaded:
        runs = await asyncio.gather(*going)
        await close_readers(readers)
    lags = await _heartbeat(site, "stop")
    out, _ = await asyncio.wait_for(control.communicate(), 30)
    machine_lags = json.loads(out)["lags"]
    window = {
        "page_requests": page.requests,
        "page_errors": page.errors,
        "page_p50_ms": round(percentile(page.latencies, 50) * 1000, 3),
        "page_p99_ms": round(percentile(page.latencies, 99) * 1000, 3),
        "lag_p50_ms": round(percentile(lags, 50) * 1000, 3),
        "lag_p99_ms": round(percentile(lags, 99) * 1000, 3),
        "lag_max_ms": round(max(lags) * 1000, 3) if lags else None,
        "beats": len(lags),
        # The same heartbeat in an idle process beside it: the machine's own lateness.
        "machine_lag_p99_ms": round(percentile(machine_lags, 99) * 1000, 3),
    }
    if loaded:
        sync_runs, async_run = runs[:-1], runs[-1]
        window.update(
            sync_errors=sum(1 for r in sync_runs if r.error),
            sync_server_median=round(median([r.server for r in sync_runs if r.server]), 4),
            async_error=async_run.error,
            async_server=async_run.server,
            async_client=round(async_run.client, 4) if async_run.client else None,
        )
    # Kept for pooling across windows, then left out of the results file.
    window["_page_latencies"], window["_lags"] = page.latencies, lags
    return window


async def _measure(site: Site, result: Result, rounds: int) -> None:
    await paced(HOST, site.port, LESSON_PATH, rate=PAGE_RATE, duration=1.0)
    idle, loaded = [], []
    for index in range(rounds):
        order = [False, True] if index % 2 == 0 else [True, False]
        for is_loaded in order:
            say(f"  isolation: round {index + 1}/{rounds}, {'loaded' if is_loaded else 'idle'}")
            (loaded if is_loaded else idle).append(await _window(site, is_loaded))
            await asyncio.sleep(0.5)

    def med(windows: list[dict], key: str) -> float:
        return median([w[key] for w in windows if w.get(key) is not None])

    # Every page request and every beat of a kind of window, pooled: a p99 of
    # about 1,400 requests rather than of each window's 480.
    def pooled_p99_ms(windows: list[dict], key: str) -> float:
        return round(percentile([x for w in windows for x in w.pop(key)], 99) * 1000, 3)

    pages_p99 = {
        "idle": pooled_p99_ms(idle, "_page_latencies"),
        "loaded": pooled_p99_ms(loaded, "_page_latencies"),
    }
    lags_p99 = {"idle": pooled_p99_ms(idle, "_lags"), "loaded": pooled_p99_ms(loaded, "_lags")}

    result.measurements = {
        "rounds_each": rounds,
        "sync_runs": SYNC_RUNS,
        "demo": {"tasks": TASKS, "seconds": SECONDS},
        "page": {
            "path": LESSON_PATH,
            "rate": PAGE_RATE,
            "connections": PAGE_CONNECTIONS,
            "seconds": PAGE_SECONDS,
            "from": "a process of its own (bench.page_readers)",
        },
        "pooled_page_p99_ms": pages_p99,
        "pooled_lag_p99_ms": lags_p99,
        "idle": idle,
        "loaded": loaded,
    }
    errors = sum(
        w["sync_errors"] + (1 if w["async_error"] else 0) + w["page_errors"] for w in loaded
    )
    result.targets = [
        Target(
            "lesson page p99 while 50 sync runs go",
            pages_p99["loaded"],
            PAGE_RATIO * pages_p99["idle"],
            "ms",
            pages_p99["idle"],
            "idle",
        ),
        Target(
            "async run beside them, server-reported",
            med(loaded, "async_server"),
            ASYNC_IDEAL + FIDELITY_SLACK,
            "s",
            ASYNC_IDEAL,
            "ideal",
        ),
        Target(
            "event-loop heartbeat lag p99 under load",
            lags_p99["loaded"],
            LAG_LIMIT * 1000,
            "ms",
            med(loaded, "machine_lag_p99_ms"),
            "idle process",
        ),
        Target("failed runs or pages under load", float(errors), 0, "runs"),
    ]
