"""Scenario 4, pages: requests per second for a published lesson page.

Four targets share one daphne process and take turns, round after round, 20
keep-alive connections each: the lesson page as an anonymous reader gets it;
a stock Django "hello" async view behind Django's default middleware list
(the baseline); the same view behind the product's middleware; and a raw ASGI
"hello" (the ceiling: the server with no framework at all).
"""

import asyncio

from bench.http_load import fetch, hammer
from bench.report import Result, Target, say
from bench.server import HOST, LESSON_PATH, LESSON_TITLE, Site, Workspace
from bench.stats import median, percentile

CONNECTIONS = 20
RATIO_LIMIT = 2.0
TARGETS = {
    "lesson page": LESSON_PATH,
    "stock Django hello": "/bench/django/hello/",
    "hello through the product's middleware": "/bench/product/hello/",
    "raw ASGI hello": "/bench/raw/hello/",
}


def run(space: Workspace, quick: bool) -> Result:
    result = Result("pages", "Requests per second, 20 connections, same daphne", quick)
    with space.site("pages") as site:
        asyncio.run(_measure(site, result, rounds=2 if quick else 5, seconds=2.0 if quick else 4.0))
    return result


async def _measure(site: Site, result: Result, rounds: int, seconds: float) -> None:
    status, body = await fetch(HOST, site.port, LESSON_PATH)
    if status != 200 or LESSON_TITLE not in body:
        raise RuntimeError(f"{LESSON_PATH} answered {status} without its title")
    for path in TARGETS.values():  # warm up every path
        await hammer(HOST, site.port, path, connections=CONNECTIONS, duration=0.5)
    samples: dict[str, list[dict]] = {name: [] for name in TARGETS}
    names = list(TARGETS)
    for index in range(rounds):
        order = names[index % len(names) :] + names[: index % len(names)]  # rotate who goes first
        for name in order:
            load = await hammer(
                HOST, site.port, TARGETS[name], connections=CONNECTIONS, duration=seconds
            )
            samples[name].append(
                {
                    "rate": round(load.rate, 1),
                    "p50_ms": round(percentile(load.latencies, 50) * 1000, 2),
                    "p99_ms": round(percentile(load.latencies, 99) * 1000, 2),
                    "errors": load.errors,
                }
            )
            say(f"  pages: round {index + 1}/{rounds}, {name}: {load.rate:,.0f} req/s")

    rate = {name: median([s["rate"] for s in runs]) for name, runs in samples.items()}
    result.measurements = {
        "connections": CONNECTIONS,
        "seconds_each": seconds,
        "rounds_each": rounds,
        "paths": TARGETS,
        "median_rate": rate,
        "share_of_raw_asgi": {
            name: round(value / rate["raw ASGI hello"], 4) for name, value in rate.items()
        },
        "samples": samples,
    }
    stock = rate["stock Django hello"]
    errors = sum(s["errors"] for runs in samples.values() for s in runs)
    result.targets = [
        Target(
            "lesson page / stock Django hello",
            rate["lesson page"] / stock,
            RATIO_LIMIT,
            "x",
            kind="min",
        ),
        Target(
            "lesson page",
            rate["lesson page"],
            RATIO_LIMIT * stock,
            "req/s",
            stock,
            "stock Django hello",
            kind="min",
        ),
        Target("failed requests", float(errors), 0, "requests"),
    ]
    result.notes.append(
        f"Ceiling, raw ASGI hello on the same daphne: {rate['raw ASGI hello']:,.0f} req/s; "
        f"the lesson page reaches {rate['lesson page'] / rate['raw ASGI hello']:.0%} of it, "
        f"the stock Django hello {stock / rate['raw ASGI hello']:.0%}."
    )
