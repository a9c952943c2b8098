"""Scenario search: answers from the site's search over 1,000 generated lessons.

The bundled lessons plus 1,000 generated ones (bench/generate_lessons.py,
about 800 words and 7 sections each), indexed as the admin's saves index
them. One keep-alive connection asks each query in turn, one request at a
time, for a few seconds: the latency of the results page as a reader gets it,
rendering included. Once on SQLite (FTS5), the set-up ``make run`` uses, and
once on PostgreSQL (a GIN index on a tsvector) when it answers at
127.0.0.1:5432, in a database made for the run and dropped after.
"""

import asyncio
import subprocess
import sys
from urllib.parse import quote_plus

from bench.http_load import fetch, hammer
from bench.report import Result, Target, say
from bench.server import HOST, ROOT, Site, Workspace
from bench.stats import percentile

LESSONS = 1000
LIMIT_MS = 30.0
POSTGRES_ADMIN = "postgres://postgres@127.0.0.1:5432/postgres"
POSTGRES_DATABASE = "bench_search"
# Single words and phrases, common and rare, stems and exact, one with no match.
QUERIES = (
    "semaphore", "event loop", "cancelled", "timeouts", "queue backpressure", "threads",
    "gather exception", "streams reader writer", "coroutine", "asyncio.sleep",
    "producer consumer", "no such word anywhere",
)  # fmt: skip


def run(space: Workspace, quick: bool) -> Result:
    result = Result("search", f"Search over {LESSONS:,} generated lessons, one reader", quick)
    seconds = 0.5 if quick else 2.0
    measured = {"sqlite": _measure_on(space, seconds)}
    postgres = _postgres_url()
    if postgres is None:
        say("  search: no PostgreSQL at 127.0.0.1:5432; measured on SQLite only")
    else:
        saved = space.env["DATABASE_URL"]
        space.env["DATABASE_URL"] = postgres
        try:
            measured["postgresql"] = _measure_on(space, seconds)
        finally:
            space.env["DATABASE_URL"] = saved
            _drop_postgres()
    result.measurements = {"lessons": LESSONS, "queries": QUERIES, "seconds_each": seconds,
                           "databases": measured}  # fmt: skip
    for database, figures in measured.items():
        result.targets += [
            Target(f"{database}: search page p95", figures["p95_ms"], LIMIT_MS, "ms"),
            Target(f"{database}: failed searches", figures["errors"], 0, "requests"),
        ]
    return result


def _measure_on(space: Workspace, seconds: float) -> dict:
    database = space.env["DATABASE_URL"].split(":", 1)[0]
    for command in (["manage.py", "migrate", "--noinput"], ["manage.py", "load_lessons"],
                    ["-m", "bench.generate_lessons", str(LESSONS)]):  # fmt: skip
        say(f"  search ({database}): {' '.join(command[-2:])}")
        subprocess.run([sys.executable, *command], cwd=ROOT, env=space.env, check=True,
                       capture_output=True)  # fmt: skip
    with space.site(f"search-{database}") as site:
        return asyncio.run(_ask(site, seconds))


async def _ask(site: Site, seconds: float) -> dict:
    status, body = await fetch(HOST, site.port, "/search/?q=semaphore")
    if status != 200 or b"<mark>" not in body.lower():
        raise RuntimeError(f"a search for semaphore answered {status} without a highlight")
    latencies, errors = [], 0
    for query in QUERIES:
        path = f"/search/?q={quote_plus(query)}"
        await hammer(HOST, site.port, path, connections=1, duration=0.2)  # warm up
        load = await hammer(HOST, site.port, path, connections=1, duration=seconds)
        latencies += load.latencies
        errors += load.errors
        say(f"  search: {query!r}: p95 {percentile(load.latencies, 95) * 1000:.1f} ms")
    return {
        "requests": len(latencies),
        "p50_ms": round(percentile(latencies, 50) * 1000, 2),
        "p95_ms": round(percentile(latencies, 95) * 1000, 2),
        "p99_ms": round(percentile(latencies, 99) * 1000, 2),
        "errors": errors,
    }


def _psql(sql: str) -> bool:
    try:
        import psycopg
    except ImportError:
        return False
    try:
        with psycopg.connect(POSTGRES_ADMIN, autocommit=True, connect_timeout=3) as connection:
            connection.execute(sql)
    except psycopg.Error:
        return False
    return True


def _postgres_url() -> str | None:
    _psql(f"DROP DATABASE IF EXISTS {POSTGRES_DATABASE}")
    if not _psql(f"CREATE DATABASE {POSTGRES_DATABASE}"):
        return None
    return POSTGRES_ADMIN.rsplit("/", 1)[0] + "/" + POSTGRES_DATABASE


def _drop_postgres() -> None:
    _psql(f"DROP DATABASE IF EXISTS {POSTGRES_DATABASE} WITH (FORCE)")
