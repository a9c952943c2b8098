"""Two daphne processes sharing PostgreSQL and Redis, as in production behind nginx.

Every process runs the same code; nothing of what one knows lives only in it.
The readers' addresses come from X-Forwarded-For (daphne --proxy-headers, as
behind nginx), so each test is a different client of the shared rate limit.
"""

import asyncio
import json
import os
import signal
import time
from dataclasses import dataclass

import psycopg
import pytest
import websockets

from tests import services
from tests.servers import (
    StaffBrowser,
    create_superuser,
    free_port,
    manage,
    site_env,
    start_daphne,
)
from tutorialsite.processes import stop

pytestmark = pytest.mark.slow

REDIS_DB = 10  # this file's own database, emptied before each test
LEASE_SECONDS = 2
STAFF = ("staff", "a long passphrase for the test")
SETTINGS = {
    "DEMO_RATE_LIMIT": "3/m",
    "DEMO_MAX_RUNNING": "2",
    "DEMO_LEASE_SECONDS": str(LEASE_SECONDS),
}


@dataclass
class Cluster:
    a: str  # http://127.0.0.1:port of each process
    b: str
    env: dict[str, str]
    database: str
    redis: str


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    redis = services.redis_url(REDIS_DB)
    services.redis_flush(redis)
    with services.postgres_database("test_multi_process") as database:
        env = site_env(database, free_port(), REDIS_URL=redis, **SETTINGS)
        manage(env, "migrate", "--noinput")
        manage(env, "load_lessons")
        create_superuser(env, *STAFF)
        processes = []
        try:
            ports = [free_port(), free_port()]
            processes = [start_daphne(env, port, "--proxy-headers") for port in ports]
            a, b = (f"http://127.0.0.1:{port}" for port in ports)
            yield Cluster(a=a, b=b, env=env, database=database, redis=redis)
        finally:
            for process in processes:
                stop(process)
            services.redis_flush(redis)


@pytest.fixture(autouse=True)
def fresh_redis(cluster):
    services.redis_flush(cluster.redis)


def ws_url(site: str) -> str:
    return site.replace("http://", "ws://") + "/ws/demos/"


def reader(site: str, address: str):
    return websockets.connect(
        ws_url(site), origin=site, additional_headers={"X-Forwarded-For": address}
    )


async def next_message(socket, within: float = 10) -> dict:
    return json.loads(await asyncio.wait_for(socket.recv(), within))


async def start(socket, run_id: str, seconds: float) -> list[dict]:
    """Ask for a one-task run of the sleep demo; its messages until it runs (or is refused)."""
    frame = {"type": "run", "id": run_id, "demo": "sleep", "mode": "async"}
    await socket.send(json.dumps({**frame, "params": {"tasks": 1, "seconds": seconds}}))
    return await until(socket, run_id, {"task_started", "error"})


async def until(socket, run_id: str, kinds: set[str]) -> list[dict]:
    """The messages about ``run_id`` up to the first of one of ``kinds``."""
    events = []
    while True:
        event = await next_message(socket)
        if event.get("id") == run_id:
            events.append(event)
            if event["type"] in kinds:
                return events


async def run(socket, run_id: str, seconds: float) -> list[dict]:
    """A whole run; every message about it, to the last."""
    events = await start(socket, run_id, seconds)
    if events[-1]["type"] == "error":
        return events
    return events + await until(socket, run_id, {"finished", "error"})


def query(cluster: Cluster, sql: str, *params) -> list[tuple]:
    with psycopg.connect(cluster.database) as connection:
        return connection.execute(sql, params).fetchall()


def stored_runs(cluster: Cluster, seconds: float, expected: int) -> list[tuple]:
    """The stored runs of the sleep demo lasting ``seconds`` (they are stored after finishing)."""
    deadline = time.monotonic() + 10
    while True:
        rows = query(
            cluster,
            "SELECT mode, status FROM lessons_demorun WHERE (params->>'seconds')::float = %s",
            seconds,
        )
        if len(rows) >= expected or time.monotonic() > deadline:
            return rows
        time.sleep(0.1)


async def test_a_staff_save_through_one_process_reaches_a_reader_on_the_other(cluster):
    [(lesson, version)] = query(
        cluster, "SELECT id, version FROM lessons_lesson WHERE slug = 'the-event-loop'"
    )
    async with reader(cluster.b, "10.0.1.1") as socket:
        await socket.send(json.dumps({"type": "watch", "lesson": lesson}))
        assert await next_message(socket) == {"type": "watching", "lesson": lesson}
        staff = await asyncio.to_thread(StaffBrowser, cluster.a, *STAFF)
        await asyncio.to_thread(staff.save_lesson, lesson, title="The event loop, revised")
        assert await next_message(socket, within=5) == {
            "type": "lesson_updated",
            "lesson": lesson,
            "version": version + 1,
            "title": "The event loop, revised",
        }


async def test_runs_through_both_processes_are_stored_in_the_one_database(cluster):
    async with reader(cluster.a, "10.0.2.1") as on_a, reader(cluster.b, "10.0.2.2") as on_b:
        runs = await asyncio.gather(run(on_a, "on-a", 0.31), run(on_b, "on-b", 0.31))
    assert [events[-1]["status"] for events in runs] == ["ok", "ok"]
    assert stored_runs(cluster, 0.31, expected=2) == [("async", "ok"), ("async", "ok")]


async def test_the_rate_limit_counts_runs_made_through_both_processes(cluster):
    client = "10.0.3.1"
    async with reader(cluster.a, client) as on_a, reader(cluster.b, client) as on_b:
        assert (await run(on_a, "one", 0.05))[-1]["type"] == "finished"
        assert (await run(on_a, "two", 0.05))[-1]["type"] == "finished"
        assert (await run(on_b, "three", 0.05))[-1]["type"] == "finished"
        for socket in (on_a, on_b):
            [refused] = await run(socket, "four", 0.05)
            assert refused["code"] == "rate_limited"
            assert "try again in" in refused["message"]
    async with reader(cluster.b, "10.0.3.2") as another_client:
        assert (await run(another_client, "five", 0.05))[-1]["status"] == "ok"


async def test_the_cap_on_running_demos_holds_across_processes(cluster):
    async with (
        reader(cluster.a, "10.0.4.1") as first,
        reader(cluster.a, "10.0.4.2") as second,
        reader(cluster.b, "10.0.4.3") as third,
    ):
        # Both places under the cap of 2 are taken on process A...
        await start(first, "long-1", 1.0)
        await start(second, "long-2", 1.0)
        # ...so a run asked for on process B waits its turn.
        events = await run(third, "waits", 0.05)
        for socket, run_id in ((first, "long-1"), (second, "long-2")):
            assert (await until(socket, run_id, {"finished"}))[-1]["status"] == "ok"
    assert {"type": "queued", "id": "waits", "position": 1} in events
    assert events[-1]["status"] == "ok"


async def test_a_process_killed_mid_run_leaves_the_others_runs_alone(cluster):
    doomed_port = free_port()
    doomed = start_daphne(cluster.env, doomed_port, "--proxy-headers")
    doomed_url = f"http://127.0.0.1:{doomed_port}"
    try:
        async with (
            reader(doomed_url, "10.0.5.1") as on_doomed,
            reader(cluster.b, "10.0.5.2") as on_b,
        ):
            await start(on_doomed, "doomed", 5)
            events = await start(on_b, "survivor", 1.5)
            os.kill(doomed.pid, signal.SIGKILL)
            killed_at = time.monotonic()
            events += await until(on_b, "survivor", {"finished", "error"})
    finally:
        stop(doomed)
    assert events[-1]["status"] == "ok"
    assert [e["type"] for e in events].count("output") == 1
    assert stored_runs(cluster, 1.5, expected=1) == [("async", "ok")]
    # The killed process's place under the cap comes back once its lease expires:
    # then two runs at once fit under the cap of 2 without waiting.
    await asyncio.sleep(max(0, killed_at + LEASE_SECONDS + 0.5 - time.monotonic()))
    async with reader(cluster.b, "10.0.5.3") as one, reader(cluster.b, "10.0.5.4") as two:
        both = await asyncio.gather(run(one, "after-1", 1.0), run(two, "after-2", 1.0))
    for events in both:
        assert "queued" not in [e["type"] for e in events]
        assert events[-1]["status"] == "ok"
