"""Scenario 2, many readers at once: 1,000 sockets each run the async sleep demo
(3 tasks of 1 s) in the same instant.

The bare consumer (``bench/baselines.py``) sends the same messages for the
same sleeps; rounds alternate between it and the product on the same daphne
process, and each side's p99 is the median of its rounds' p99s. Every run is
checked for every event, so a lost message is an error, not a fast run.
"""

import asyncio
import json
import time

from bench import gc_watch
from bench.http_load import fetch
from bench.report import Result, Target, say
from bench.server import HOST, Site, Workspace
from bench.stats import median, percentile
from bench.ws_load import close_readers, open_readers, run_all_at_once

TASKS, SECONDS = 3, 1.0
RATIO_LIMIT = 1.1
PATHS = {"product": "/ws/demos/", "bare": "/ws/bench/"}


def run(space: Workspace, quick: bool) -> Result:
    result = Result("readers", "1,000 readers run the async sleep demo at once", quick)
    with space.site("readers") as site:
        asyncio.run(_measure(site, result, clients=1000, rounds=1 if quick else 5))
    return result


async def _round(site: Site, name: str, clients: int, phases: list) -> dict:
    """One round; appends its phases (name, start, end on perf_counter) to ``phases``."""
    opened_at = time.perf_counter()
    readers = await open_readers(site.ws_url + PATHS[name], clients, origin=site.origin)
    settling_at = time.perf_counter()
    phases.append((f"{name}: opening sockets", opened_at, settling_at))
    try:
        await asyncio.sleep(1.0)  # let the handshakes' work settle
        gc_before = await _server_gc(site)
        cpu_before = site.cpu_seconds()
        running_at = time.perf_counter()
        phases.append((f"{name}: settling", settling_at, running_at))
        runs = await run_all_at_once(readers, mode="async", tasks=TASKS, seconds=SECONDS)
        await asyncio.sleep(0.5)  # storing and cleaning up after the burst count too
        cpu = site.cpu_seconds() - cpu_before
        collections = gc_watch.between(gc_before, await _server_gc(site))
        closing_at = time.perf_counter()
        phases.append((f"{name}: RUNS (timed)", running_at, closing_at))
    finally:
        await close_readers(readers)
    phases.append((f"{name}: closing sockets", closing_at, time.perf_counter()))
    server = [r.server for r in runs if r.server is not None]
    client = [r.client for r in runs if r.client is not None]
    errors = [r.error for r in runs if r.error]
    return {
        "clients": clients,
        "errors": len(errors),
        "first_errors": errors[:3],
        "server_p50": round(percentile(server, 50), 4),
        "server_p99": round(percentile(server, 99), 4),
        "client_p50": round(percentile(client, 50), 4),
        "client_p99": round(percentile(client, 99), 4),
        "server_cpu_ms_per_run": round(cpu / clients * 1000, 3),
        "seconds_to_open": round(settling_at - opened_at, 2),
        # Where the server's collections fell: a full one pauses every reader at once.
        "server_gc": collections,
    }


async def _server_gc(site: Site) -> dict:
    status, body = await fetch(HOST, site.port, "/bench/gc/")
    assert status == 200, body
    return json.loads(body)


async def _measure(site: Site, result: Result, clients: int, rounds: int) -> None:
    for name in PATHS:  # warm up both paths (imports, first queries, caches)
        readers = await open_readers(site.ws_url + PATHS[name], 50, origin=site.origin)
        await run_all_at_once(readers, mode="async", tasks=TASKS, seconds=0.2)
        await close_readers(readers)
    rounds_done: dict[str, list[dict]] = {"product": [], "bare": []}
    gc_at_start = await _server_gc(site)
    phases: list[tuple[str, float, float]] = []
    for index in range(rounds):
        order = ["bare", "product"] if index % 2 == 0 else ["product", "bare"]
        for name in order:
            say(f"  readers: round {index + 1}/{rounds}, {name}, {clients} clients")
            round_phases: list[tuple[str, float, float]] = []
            measured = await _round(site, name, clients, round_phases)
            phases += [(f"round {index + 1}, {label}", a, b) for label, a, b in round_phases]
            rounds_done[name].append(measured)
            collected = measured["server_gc"]
            say(
                f"    server p99 {measured['server_p99']:.3f} s, "
                f"reader p99 {measured['client_p99']:.3f} s, errors {measured['errors']}; "
                f"server GC: {collected['young_collections']} young, "
                f"{collected['full_collections']} full "
                f"({collected['full_pause_seconds']:.2f} s)"
            )
            await asyncio.sleep(1.0)

    # The collections of the whole scenario, opening and closing sockets included:
    # the full ones not in any round fell where no run was timed.
    gc_at_end = await _server_gc(site)
    whole_run = gc_watch.between(gc_at_start, gc_at_end)
    whole_run["full_collections_fell_in"] = gc_watch.where_full_fell(gc_at_end, phases)
    say(
        f"  readers: server GC over all rounds: {whole_run['young_collections']} young, "
        f"{whole_run['full_collections']} full ({whole_run['full_pause_seconds']:.2f} s): "
        + "; ".join(
            f"{fell['phase']} ({fell['pause_seconds']:.2f} s)"
            for fell in whole_run["full_collections_fell_in"]
        )
    )

    def med(name: str, key: str) -> float:
        return median([r[key] for r in rounds_done[name]])

    result.measurements = {
        "clients": clients,
        "rounds_each": rounds,
        "demo": {"name": "sleep", "mode": "async", "tasks": TASKS, "seconds": SECONDS},
        "rounds": rounds_done,
        "server_gc_all_rounds": whole_run,
        "medians": {
            name: {
                key: med(name, key)
                for key in (
                    "server_p50",
                    "server_p99",
                    "client_p50",
                    "client_p99",
                    "server_cpu_ms_per_run",
                )
            }
            for name in rounds_done
        },
    }
    errors = sum(r["errors"] for r in rounds_done["product"])
    result.targets = [
        Target(
            "product runs with an error or a lost event",
            float(errors),
            0,
            "runs",
            float(sum(r["errors"] for r in rounds_done["bare"])),
            "bare consumer",
        ),
        Target(
            "server-reported p99, product / bare",
            med("product", "server_p99") / med("bare", "server_p99"),
            RATIO_LIMIT,
            "x",
        ),
        Target(
            "reader-observed p99, product / bare",
            med("product", "client_p99") / med("bare", "client_p99"),
            RATIO_LIMIT,
            "x",
        ),
        Target(
            "server-reported p99 (product)",
            med("product", "server_p99"),
            RATIO_LIMIT * med("bare", "server_p99"),
            "s",
            med("bare", "server_p99"),
            "bare consumer",
        ),
        Target(
            "reader-observed p99 (product)",
            med("product", "client_p99"),
            RATIO_LIMIT * med("bare", "client_p99"),
            "s",
            med("bare", "client_p99"),
            "bare consumer",
        ),
    ]
