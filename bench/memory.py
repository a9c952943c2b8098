"""Scenario 5, memory: what 1,000 idle readers cost the server.

Each measurement gets a freshly started daphne process of the same bench
entry point, warmed the same way (one lesson page, five sockets of the kind
measured, opened and closed). Its resident memory is read from /proc before
and after 1,000 sockets open, once it stops growing; the sockets stay idle
(the page's websocket, nothing running). The product's demo socket and the
bare consumer take turns, each in its own process, so neither inherits the
other's freed memory.
"""

import asyncio

from bench.http_load import fetch
from bench.report import Result, Target, say
from bench.server import HOST, LESSON_PATH, Site, Workspace
from bench.stats import median
from bench.ws_load import close_readers, open_readers

CONNECTIONS = 1000
LIMIT_KIB = 40.0
PATHS = {"product": "/ws/demos/", "bare": "/ws/bench/"}


def run(space: Workspace, quick: bool) -> Result:
    result = Result("memory", "Server memory per idle reader connection", quick)
    rounds = 1 if quick else 2
    measured: dict[str, list[dict]] = {name: [] for name in PATHS}
    for index in range(rounds):
        for name in ["bare", "product"] if index % 2 == 0 else ["product", "bare"]:
            with space.site(f"memory-{name}") as site:
                measured[name].append(asyncio.run(_measure(site, PATHS[name])))
            say(f"  memory: {name}: {measured[name][-1]['kib_per_connection']:.1f} KiB each")
    per = {name: median([m["kib_per_connection"] for m in runs]) for name, runs in measured.items()}
    result.measurements = {
        "connections": CONNECTIONS,
        "rounds_each": rounds,
        "kib_per_connection": per,
        "samples": measured,
    }
    result.targets = [
        Target(
            "server memory per idle reader",
            per["product"],
            LIMIT_KIB,
            "KiB",
            per["bare"],
            "bare consumer",
        ),
    ]
    return result


async def _measure(site: Site, path: str) -> dict:
    await fetch(HOST, site.port, LESSON_PATH)
    warm = await open_readers(site.ws_url + path, 5, origin=site.origin)
    await close_readers(warm)
    await asyncio.sleep(1.0)
    before = site.rss_kib()
    readers = await open_readers(site.ws_url + path, CONNECTIONS, origin=site.origin)
    try:
        after, previous = site.rss_kib(), 0
        for _ in range(20):  # until it stops growing, 10 s at most
            await asyncio.sleep(0.5)
            previous, after = after, site.rss_kib()
            if abs(after - previous) < 64:
                break
    finally:
        await close_readers(readers)
    return {
        "rss_before_kib": before,
        "rss_after_kib": after,
        "kib_per_connection": round((after - before) / CONNECTIONS, 2),
    }
