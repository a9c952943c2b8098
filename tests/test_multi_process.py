"""Two daphne processes sharing PostgreSQL and Redis behind nginx, as in production.

Every process runs the same code; nothing of what one knows lives only in it.
The cluster is the one ``serve --processes`` starts (tutorialsite.cluster), and
readers reach it through nginx from addresses of their own (127.x.y.z), which
nginx passes to daphne as production's does; each test is a different client
of the shared rate limit.

Where a test needs a reader on each process, it opens one socket per process
from one address: the site admits one socket per address on each process here
(DEMO_SOCKETS_PER_CLIENT=1), so those handshakes succeed only on different
processes.
"""

import asyncio
import contextlib
import json
import os
import signal
import time
from dataclasses import dataclass

import psycopg
import pytest
import websockets
from websockets.asyncio.client import unix_connect

from tests import services
from tests.servers import (
    StaffBrowser,
    create_superuser,
    free_port,
    manage,
    running_cluster,
    site_env,
)
from tests.sockets import next_message, outcome, reader, run, start, until
from tutorialsite.cluster import Cluster

pytestmark = pytest.mark.slow

REDIS_DB = 10  # this file's own database, emptied before each test
LEASE_SECONDS = 2
STAFF = ("staff", "a long passphrase for the test")
SETTINGS = {
    "DEMO_RATE_LIMIT": "3/m",
    "DEMO_MAX_RUNNING": "2",
    "DEMO_LEASE_SECONDS": str(LEASE_SECONDS),
    "DEMO_SOCKETS_PER_CLIENT": "1",  # per process: see on_each_process
}


@dataclass
class Site:
    cluster: Cluster  # two daphne processes behind nginx
    env: dict[str, str]
    database: str
    redis: str


@pytest.fixture(scope="module")
def site():
    redis = services.redis_url(REDIS_DB)
    services.redis_flush(redis)
    with services.postgres_database("test_multi_process") as database:
        env = site_env(database, free_port(), REDIS_URL=redis, **SETTINGS)
        manage(env, "migrate", "--noinput")
        manage(env, "load_lessons")
        create_superuser(env, *STAFF)
        try:
            with running_cluster(env, processes=2) as cluster:
                yield Site(cluster=cluster, env=env, database=database, redis=redis)
        finally:
            services.redis_flush(redis)


@pytest.fixture(autouse=True)
def fresh_redis(site):
    services.redis_flush(site.redis)


@contextlib.asynccontextmanager
async def on_each_process(cluster: Cluster, source: str):
    """One demo socket from ``source`` on each process of ``cluster`` (which is where, unknown).

    Each is admitted only where ``source`` holds no socket yet, so all of them
    open only if nginx spread them over every process, as its least_conn does
    (each connection goes to the process holding the fewest).
    """
    async with contextlib.AsyncExitStack() as sockets:
        yield [
            await sockets.enter_async_context(reader(cluster.url, source)) for _ in cluster.sockets
        ]


def query(site: Site, sql: str, *params) -> list[tuple]:
    with psycopg.connect(site.database) as connection:
        return connection.execute(sql, params).fetchall()


def stored_runs(site: Site, seconds: float, expected: int) -> list[tuple]:
    """The stored runs of the sleep demo lasting ``seconds`` (they are stored after finishing)."""
    deadline = time.monotonic() + 10
    while True:
        rows = query(
            site,
            "SELECT mode, status FROM lessons_demorun WHERE (params->>'seconds')::float = %s",
            seconds,
        )
        if len(rows) >= expected or time.monotonic() > deadline:
            return rows
        time.sleep(0.1)


async def test_a_staff_save_through_one_process_reaches_the_readers_on_every_process(site):
    [(lesson, version)] = query(
        site, "SELECT id, version FROM lessons_lesson WHERE slug = 'the-event-loop'"
    )
    async with on_each_process(site.cluster, "127.0.1.1") as readers:
        for socket in readers:
            await socket.send(json.dumps({"type": "watch", "lesson": lesson}))
            assert await next_message(socket) == {"type": "watching", "lesson": lesson}
        # One process takes the save; the reader on the other hears of it through Redis.
        staff = await asyncio.to_thread(StaffBrowser, site.cluster.url, *STAFF)
        await asyncio.to_thread(staff.save_lesson, lesson, title="The event loop, revised")
        for socket in readers:
            assert await next_message(socket, within=5) == {
                "type": "lesson_updated",
                "lesson": lesson,
                "version": version + 1,
                "title": "The event loop, revised",
            }


async def test_runs_through_both_processes_are_stored_in_the_one_database(site):
    async with on_each_process(site.cluster, "127.0.2.1") as (on_one, on_other):
        runs = await asyncio.gather(run(on_one, "on-one", 0.31), run(on_other, "on-other", 0.31))
    assert [outcome(events) for events in runs] == ["ok", "ok"]
    assert stored_runs(site, 0.31, expected=2) == [("async", "ok"), ("async", "ok")]


async def test_the_rate_limit_counts_runs_made_through_both_processes(site):
    async with on_each_process(site.cluster, "127.0.3.1") as (on_one, on_other):
        assert outcome(await run(on_one, "one", 0.05)) == "ok"
        assert outcome(await run(on_one, "two", 0.05)) == "ok"
        assert outcome(await run(on_other, "three", 0.05)) == "ok"
        for socket in (on_one, on_other):
            [refused] = await run(socket, "four", 0.05)
            assert refused["code"] == "rate_limited"
            assert "try again in" in refused["message"]
    async with reader(site.cluster.url, "127.0.3.2") as another_client:
        assert outcome(await run(another_client, "five", 0.05)) == "ok"


async def test_the_cap_on_running_demos_holds_across_processes(site):
    async with (
        on_each_process(site.cluster, "127.0.4.1") as (first, second),
        reader(site.cluster.url, "127.0.4.2") as third,
    ):
        # One of the cap's 2 places is taken on each process...
        await start(first, "long-1", 1.0)
        await start(second, "long-2", 1.0)
        # ...so a run asked for on either waits its turn: neither has 2 running itself.
        events = await run(third, "waits", 0.05)
        for socket, run_id in ((first, "long-1"), (second, "long-2")):
            assert outcome(await until(socket, run_id, {"finished"})) == "ok"
    assert {"type": "queued", "id": "waits", "position": 1} in events
    assert outcome(events) == "ok"


async def test_a_process_killed_mid_run_leaves_the_other_process_s_runs_alone(site):
    # A cluster of its own, since one of its processes dies.
    with running_cluster(site.env, processes=2) as cluster:
        async with on_each_process(cluster, "127.0.5.1") as readers:
            started = [await start(socket, f"run-{n}", 1.5) for n, socket in enumerate(readers)]
            os.kill(cluster.daphnes[0].pid, signal.SIGKILL)
            killed_at = time.monotonic()
            ends = await asyncio.gather(
                *(
                    until(socket, f"run-{n}", {"finished", "error"})
                    for n, socket in enumerate(readers)
                ),
                return_exceptions=True,
            )
        # nginx closes the socket of the reader on the killed process...
        assert [type(end) for end in ends].count(websockets.ConnectionClosedError) == 1
        # ...and the other reader's run goes on to its end, and is stored.
        [events] = [
            before + end for before, end in zip(started, ends, strict=True) if isinstance(end, list)
        ]
        assert outcome(events) == "ok"
        assert [e["type"] for e in events].count("output") == 1
        assert stored_runs(site, 1.5, expected=1) == [("async", "ok")]
        # The killed process's place under the cap comes back once its lease expires:
        # then two runs at once fit under the cap of 2 without waiting.
        await asyncio.sleep(max(0, killed_at + LEASE_SECONDS + 0.5 - time.monotonic()))
        async with (
            reader(cluster.url, "127.0.5.2") as one,
            reader(cluster.url, "127.0.5.3") as two,
        ):
            both = await asyncio.gather(run(one, "after-1", 1.0), run(two, "after-2", 1.0))
    for events in both:
        assert "queued" not in [e["type"] for e in events]
        assert outcome(events) == "ok"


def on_process(socket_path, source: str, session: str | None = None):
    """A demo socket straight to one daphne process, as nginx would pass it from ``source``."""
    headers = {"X-Forwarded-For": source}
    if session:
        headers["Cookie"] = f"sessionid={session}"
    return unix_connect(
        str(socket_path), "ws://127.0.0.1/ws/demos/", origin="http://127.0.0.1",
        additional_headers=headers,
    )  # fmt: skip


async def next_of(socket, kind: str) -> dict:
    while True:
        message = await next_message(socket)
        if message["type"] == kind:
            return message


async def test_a_teacher_s_run_on_one_process_reaches_followers_on_the_other_in_order(site):
    [(lesson,)] = query(
        site, "SELECT id FROM lessons_lesson WHERE slug = 'blocking-vs-non-blocking'"
    )
    staff = await asyncio.to_thread(StaffBrowser, site.cluster.url, *STAFF)
    session = next(cookie.value for cookie in staff.cookies if cookie.name == "sessionid")
    first, second = site.cluster.sockets
    async with contextlib.AsyncExitStack() as sockets:
        teacher = await sockets.enter_async_context(on_process(first, "127.0.6.1", session))
        await teacher.send(json.dumps({"type": "room_open", "lesson": lesson}))
        code = (await next_of(teacher, "room_opened"))["code"]
        followers = []
        for n in range(5):
            follower = await sockets.enter_async_context(on_process(second, f"127.0.6.{10 + n}"))
            await follower.send(json.dumps({"type": "room_join", "code": code}))
            assert (await next_message(follower))["type"] == "room_joined"
            # Caught up with the room, through the teacher's process, before the run.
            assert (await next_of(follower, "room"))["items"][0]["kind"] == "state"
            followers.append(follower)
        own = await run(teacher, "taught", 0.2)
        assert outcome(own) == "ok"
        for follower in followers:
            items = []
            while not items or items[-1].get("event", {}).get("type") != "finished":
                items += (await next_of(follower, "room"))["items"]
            assert [item["event"] for item in items if item["kind"] == "run"] == own
            numbers = [item["seq"] for item in items]
            assert numbers == list(range(numbers[0], numbers[0] + len(numbers)))
        await teacher.send(json.dumps({"type": "room_close"}))
        for follower in followers:
            assert (await next_of(follower, "room_closed"))["reason"] == "closed by the teacher"
