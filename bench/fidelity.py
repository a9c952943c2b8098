"""Scenario 1, fidelity: does a demo take as long as it should, and no longer?

The async sleep demo with 10 tasks of 0.2 s should take 0.200 s, the sync one
with 10 tasks of 0.05 s 0.500 s. Runs go one at a time on one reader's
socket; the bare consumer's runs alternate with the product's, so both meet
the same moments of the machine.
"""

import asyncio

from bench.report import Result, Target, say
from bench.server import Site, Workspace
from bench.stats import median, summary
from bench.ws_load import close_readers, open_readers, run_demo

ASYNC_TASKS, ASYNC_SECONDS = 10, 0.2
SYNC_TASKS, SYNC_SECONDS = 10, 0.05
ASYNC_IDEAL = ASYNC_SECONDS  # concurrent: as long as one task
SYNC_IDEAL = SYNC_TASKS * SYNC_SECONDS  # one after another
SERVER_SLACK, CLIENT_SLACK, SYNC_SLACK = 0.005, 0.015, 0.010


def run(space: Workspace, quick: bool) -> Result:
    result = Result("fidelity", "One run at a time: measured time against the ideal", quick)
    with space.site("fidelity") as site:
        asyncio.run(_measure(site, result, runs=10 if quick else 30))
    return result


async def _measure(site: Site, result: Result, runs: int) -> None:
    (product,) = await open_readers(site.ws_url + "/ws/demos/", 1, origin=site.origin)
    (bare,) = await open_readers(site.ws_url + "/ws/bench/", 1, origin=site.origin)
    timings: dict[str, list] = {"product_async": [], "bare_async": [], "product_sync": []}
    try:
        for index in range(runs + 2):  # the first two of each warm up and are not counted
            say(f"  fidelity: async run {index + 1}/{runs + 2}")
            for name, reader in (("product_async", product), ("bare_async", bare)):
                timing = await run_demo(
                    reader, f"a{index}", mode="async", tasks=ASYNC_TASKS, seconds=ASYNC_SECONDS
                )
                if index >= 2:
                    timings[name].append(timing)
        for index in range(runs + 1):
            say(f"  fidelity: sync run {index + 1}/{runs + 1}")
            timing = await run_demo(
                product, f"s{index}", mode="sync", tasks=SYNC_TASKS, seconds=SYNC_SECONDS
            )
            if index >= 1:
                timings["product_sync"].append(timing)
    finally:
        await close_readers([product, bare])

    errors = {name: [t.error for t in runs_ if t.error] for name, runs_ in timings.items()}
    server = {
        name: [t.server for t in runs_ if t.server is not None] for name, runs_ in timings.items()
    }
    client = {
        name: [t.client for t in runs_ if t.client is not None] for name, runs_ in timings.items()
    }
    result.measurements = {
        "runs_each": runs,
        "async": {"tasks": ASYNC_TASKS, "seconds": ASYNC_SECONDS, "ideal": ASYNC_IDEAL},
        "sync": {"tasks": SYNC_TASKS, "seconds": SYNC_SECONDS, "ideal": SYNC_IDEAL},
        "errors": errors,
        "server_seconds": {name: summary(values) for name, values in server.items()},
        "client_seconds": {name: summary(values) for name, values in client.items()},
        "server_samples": server,
        "client_samples": {name: [round(v, 4) for v in values] for name, values in client.items()},
    }
    result.targets = [
        Target(
            "async 10x0.2 s, server-reported median",
            median(server["product_async"]),
            ASYNC_IDEAL + SERVER_SLACK,
            "s",
            median(server["bare_async"]),
            "bare consumer",
        ),
        Target(
            "async 10x0.2 s, reader-observed median",
            median(client["product_async"]),
            ASYNC_IDEAL + CLIENT_SLACK,
            "s",
            median(client["bare_async"]),
            "bare consumer",
        ),
        Target(
            "sync 10x0.05 s, server-reported median",
            median(server["product_sync"]),
            SYNC_IDEAL + SYNC_SLACK,
            "s",
            SYNC_IDEAL,
            "ideal",
        ),
        Target(
            "runs that failed or lost an event", float(sum(map(len, errors.values()))), 0, "runs"
        ),
    ]
    result.notes.append(
        "Sync reader-observed median: "
        f"{median(client['product_sync']):.4f} s (reported, no target)."
    )
