"""Scenario: a classroom room of 300 followers over two daphne processes and Redis.

The teacher's socket is on one process; the followers are split between both,
so half of them get the teacher's events through Redis from the other
process. Each round the teacher runs the async sleep demo (3 tasks of 1 s,
and a traced run for a longer stream of events); every event the teacher's
own page receives must reach every follower, in order, and the delay between
the teacher's page getting it and a follower getting it is measured here, in
one client process with one clock. A follower missing any event is an error,
not a fast round; the daphne logs are searched for channels-redis's "over
capacity" line, which is how it drops a message.
"""

import asyncio
import contextlib
import json
import os
import subprocess
import sys
import time
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from websockets.asyncio.client import ClientConnection, connect

from bench.report import Result, Target, say
from bench.server import (
    ASGI_APP,
    HOST,
    LESSON_PATH,
    ROOT,
    START_SECONDS,
    STOP_GRACE_SECONDS,
    Workspace,
    free_port,
)
from bench.stats import summary
from bench.ws_load import close_readers, open_readers
from tutorialsite.processes import start, stop
from tutorialsite.sandbox_runner import PrivateRedis

FOLLOWERS = 300
LIMIT_MS = 250.0
RUN_SECONDS = 60
TASKS, SECONDS = 3, 1.0
ROOM_ENV = {"ROOM_JOIN_RATE_LIMIT": "1000000/m"}

# Makes the teacher: a staff user, a session for the socket, and the lesson's id.
TEACHER_SETUP = f"""
from importlib import import_module
from django.conf import settings
from django.contrib.auth import get_user_model, SESSION_KEY, BACKEND_SESSION_KEY, HASH_SESSION_KEY
from lessons.models import Lesson
user, _ = get_user_model().objects.get_or_create(username="teacher", defaults={{"is_staff": True}})
store = import_module(settings.SESSION_ENGINE).SessionStore()
store[SESSION_KEY] = str(user.pk)
store[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
store[HASH_SESSION_KEY] = user.get_session_auth_hash()
store.save()
lesson = Lesson.objects.get(slug="{LESSON_PATH.rstrip("/").rsplit("/", 1)[1]}")
print(store.session_key, lesson.pk)
"""


@dataclass
class Follower:
    socket: ClientConnection
    # run id -> arrival times (perf_counter) of its events, in order, and the events.
    times: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    events: dict[str, list[dict]] = field(default_factory=lambda: defaultdict(list))
    caught_up: asyncio.Event = field(default_factory=asyncio.Event)
    finished: dict[str, asyncio.Event] = field(default_factory=lambda: defaultdict(asyncio.Event))


def run(space: Workspace, quick: bool) -> Result:
    result = Result("rooms", f"{FOLLOWERS} followers of a teacher's runs over two processes", quick)
    session, lesson = _teacher(space)
    with _two_processes(space) as (ports, logs, pids):
        cpu = CpuOf(pids)
        rounds = asyncio.run(_measure(ports, session, lesson, cpu, rounds=1 if quick else 3))
        dropped = sum(log.read_text(errors="replace").count("over capacity") for log in logs)
    delays = [d for r in rounds for d in r["delays"]]
    lost = sum(r["lost"] for r in rounds)
    figures = summary(delays, scale=1000, digits=1)
    result.measurements = {
        "followers": FOLLOWERS,
        "processes": 2,
        "runs": len(rounds),  # each round: a plain run and a traced one
        "events_per_run": [r["events"] for r in rounds],
        "delay_ms": figures,
        "delay_ms_on_the_other_process": summary(
            [d for r in rounds for d in r["far_delays"]], scale=1000, digits=1
        ),
        "lost_events": lost,
        # What the machine's load cannot change: the daphne processes' own CPU
        # time while the runs streamed, per event delivered to one follower.
        "server_cpu_us_per_follower_event": round(
            sum(r["cpu"] for r in rounds)
            / max(1, sum(r["events"] for r in rounds) * FOLLOWERS)
            * 1e6,
            1,
        ),
        "channels_redis_over_capacity_lines": dropped,
    }
    result.targets += [
        Target("follower delay after the teacher's page, p99", figures["p99"], LIMIT_MS, "ms"),
        Target("events lost (any follower)", lost, 0, "events"),
    ]
    result.notes.append(
        "Delay: when a follower's socket delivered an event of the teacher's run, "
        "minus when the teacher's own socket did, both read by this one process."
    )
    return result


class CpuOf:
    """User and system CPU time of some processes, from /proc (Linux)."""

    def __init__(self, pids: list[int]) -> None:
        self.pids = pids

    def seconds(self) -> float:
        total = 0
        for pid in self.pids:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])
        return total / os.sysconf("SC_CLK_TCK")


def _teacher(space: Workspace) -> tuple[str, int]:
    done = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", TEACHER_SETUP],
        cwd=ROOT, env=space.env, capture_output=True, text=True, check=True,
    )  # fmt: skip
    session, lesson = done.stdout.split()[-2:]
    return session, int(lesson)


@contextlib.contextmanager
def _two_processes(space: Workspace) -> Iterator[tuple[list[int], list[Path], list[int]]]:
    with contextlib.ExitStack() as stack:
        redis = PrivateRedis().start()
        stack.callback(redis.stop)
        env = {**space.env, **ROOM_ENV, "REDIS_URL": redis.url}
        ports, logs, pids = [], [], []
        for n in range(2):
            port = free_port()
            log = space.folder / f"daphne-rooms-{n}-{port}.log"
            with log.open("wb") as out:
                daphne = start(
                    [sys.executable, "-m", "daphne", "-b", HOST, "-p", str(port), ASGI_APP],
                    f"http://{HOST}:{port}/bench/raw/hello/",
                    name="daphne", timeout=START_SECONDS, cwd=ROOT, env=env,
                    stdout=out, stderr=subprocess.STDOUT,
                )  # fmt: skip
            stack.callback(stop, daphne, grace=STOP_GRACE_SECONDS)
            ports.append(port)
            logs.append(log)
            pids.append(daphne.pid)
        yield ports, logs, pids


async def _measure(
    ports: list[int], session: str, lesson: int, cpu: CpuOf, rounds: int
) -> list[dict]:
    origin = f"http://{HOST}:{ports[0]}"
    teacher = await connect(
        f"ws://{HOST}:{ports[0]}/ws/demos/", origin=origin, compression=None,
        additional_headers={"Cookie": f"sessionid={session}"}, max_queue=None, proxy=None,
    )  # fmt: skip
    followers: list[Follower] = []
    try:
        await teacher.send(json.dumps({"type": "room_open", "lesson": lesson}))
        code = (await _next_of(teacher, "room_opened"))["code"]
        say(f"rooms: room {code} open; {FOLLOWERS} followers joining")
        half = FOLLOWERS // 2
        sockets = []
        for port, count in ((ports[0], half), (ports[1], FOLLOWERS - half)):
            sockets += await open_readers(
                f"ws://{HOST}:{port}/ws/demos/", count, origin=f"http://{HOST}:{port}",
                addresses=[f"127.0.{n // 250 + 20}.{n % 250 + 1}" for n in range(count)],
            )  # fmt: skip
        followers = [Follower(socket) for socket in sockets]
        readers = [asyncio.create_task(_follow(f)) for f in followers]
        for follower in followers:
            await follower.socket.send(json.dumps({"type": "room_join", "code": code}))
        async with asyncio.timeout(RUN_SECONDS):
            await asyncio.gather(*(f.caught_up.wait() for f in followers))
        results = []
        for number in range(rounds):
            for trace in (False, True):
                before = cpu.seconds()
                results.append(await _round(teacher, followers, f"r{number}{'t' * trace}", trace))
                results[-1]["cpu"] = cpu.seconds() - before
                say(f"rooms: round {len(results)}: {results[-1]['summary']}")
        for task in readers:
            task.cancel()
        return results
    finally:
        await close_readers([teacher] + [f.socket for f in followers])


async def _round(teacher, followers: list[Follower], run_id: str, trace: bool) -> dict:
    frame = {"type": "run", "id": run_id, "demo": "sleep", "mode": "async",
             "params": {"tasks": TASKS, "seconds": SECONDS}}  # fmt: skip
    if trace:
        frame["trace"] = True
    await teacher.send(json.dumps(frame))
    own, own_times = [], []
    async with asyncio.timeout(RUN_SECONDS):
        while not own or own[-1]["type"] not in ("finished", "error"):
            message = json.loads(await teacher.recv())
            if message.get("id") == run_id:
                own_times.append(time.perf_counter())
                own.append(message)
    lost = 0
    with contextlib.suppress(TimeoutError):
        async with asyncio.timeout(10):
            await asyncio.gather(*(f.finished[run_id].wait() for f in followers))
    delays, far = [], []
    for index, follower in enumerate(followers):
        got = follower.events.get(run_id, [])
        if got != own:
            lost += sum(1 for event in own if event not in got)
        for mine, theirs in zip(own_times, follower.times.get(run_id, []), strict=False):
            delays.append(theirs - mine)
            if index >= len(followers) // 2:
                far.append(theirs - mine)
    figures = summary(delays, scale=1000, digits=1)
    return {
        "events": len(own),
        "delays": delays,
        "far_delays": far,
        "lost": lost,
        "summary": f"{len(own)} events, p99 {figures['p99']} ms, {lost} lost",
    }


async def _follow(follower: Follower) -> None:
    while True:
        message = json.loads(await follower.socket.recv())
        if message["type"] != "room":
            continue
        now = time.perf_counter()
        for item in message["items"]:
            if item["kind"] == "state":
                follower.caught_up.set()
            elif item["kind"] == "run":
                event = item["event"]
                follower.times[event["id"]].append(now)
                follower.events[event["id"]].append(event)
                if event["type"] in ("finished", "error"):
                    follower.finished[event["id"]].set()


async def _next_of(socket, kind: str) -> dict:
    async with asyncio.timeout(RUN_SECONDS):
        while True:
            message = json.loads(await socket.recv())
            if message["type"] == kind:
                return message
