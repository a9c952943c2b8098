"""Hostile readers' programs against graded exercises, run in real bubblewrap sandboxes.

Each program attacks what a run is graded on: the events it writes to the
site's event channel, the weather bridge that counts its requests, the
limits it runs under. The grading must not crash or hang, must not be
carried past what was measured outside the sandbox, and the runner must
be left as it was before.
"""

import asyncio
import json
import os
import time

import pytest
from django.conf import settings

from exercises.blocks import MAX_IN_FLIGHT, Goal
from exercises.goals import MeasuredRun, grade
from sandbox.launcher import Launcher, WeatherBridge
from tests import services
from tests.sandboxes import small

pytestmark = pytest.mark.usefixtures("weather_simulator")

# The site's event channel: the one pipe the program holds besides its standard streams.
EVENTS = """\
import os, stat


def is_pipe(fd):
    try:
        return stat.S_ISFIFO(os.fstat(fd).st_mode)
    except OSError:
        return False


FD = next(fd for fd in map(int, os.listdir("/proc/self/fd")) if fd > 2 and is_pipe(fd))
"""


def write_events(*lines: str) -> str:
    return EVENTS + "".join(f"os.write(FD, {line!r}.encode() + b'\\n')\n" for line in lines)


@pytest.fixture
async def launcher(weather_simulator):
    services.bwrap_binary()
    launcher = Launcher(limits=small(settings.SANDBOX_LIMITS, wall_seconds=3.0),
                        weather_url=weather_simulator)  # fmt: skip
    await launcher.start()
    yield launcher
    await launcher.close()


async def sandboxed(launcher: Launcher, code: str, slot: int = 0):
    events = []
    outcome = await launcher.run(code, mode="async", trace=True, send=events.append, slot=slot)
    return outcome, events


async def test_a_deeply_nested_line_on_the_event_channel_loses_no_later_event(launcher):
    code = EVENTS + "os.write(FD, b'[' * 200_000 + b'\\n')\nraise ValueError('after')\n"
    outcome, _ = await sandboxed(launcher, code)
    assert outcome.error is not None, outcome
    assert outcome.error["type"] == "ValueError", outcome.error


async def test_a_forged_exit_cannot_claim_more_time_than_the_run_took(launcher):
    code = write_events('{"type": "exit", "elapsed": 1e300, "status": 0}') + "os._exit(0)\n"
    started = time.perf_counter()
    outcome, _ = await sandboxed(launcher, code)
    assert outcome.elapsed <= time.perf_counter() - started


HOLD_CONNECTIONS = """\
import socket, time

held = []
for _ in range(240):  # the sandbox lets a process open 256 files
    sock = socket.socket(socket.AF_UNIX)
    try:
        sock.connect("/run/weather.sock")
        sock.sendall(b"GET /services/json/paris HTTP/1.1\\r\\nHost: x\\r\\n")  # never ended
    except OSError:
        break
    held.append(sock)
print("holding", len(held))
time.sleep(1)
"""


def open_fds() -> int:
    return len(os.listdir("/proc/self/fd"))


async def test_connections_held_open_to_the_bridge_are_bounded_and_closed_after(launcher):
    before, tasks = open_fds(), len(asyncio.all_tasks())
    most = before
    running = asyncio.ensure_future(sandboxed(launcher, HOLD_CONNECTIONS))
    while not running.done():
        most = max(most, open_fds())
        await asyncio.sleep(0.02)
    outcome, _ = running.result()
    assert outcome.weather["peak"] <= WeatherBridge.MAX_CONNECTIONS
    # Three descriptors a relayed connection here (the bridge's two and the test
    # simulator's), and those accepted in a burst or two of the listening backlog
    # (100) before they are turned away; without a bound, 3 for each of the 240.
    assert most - before <= 3 * WeatherBridge.MAX_CONNECTIONS + 2 * 100 + 32
    for _ in range(50):  # each relay sees its ends close
        if open_fds() <= before:
            break
        await asyncio.sleep(0.05)
    assert open_fds() <= before
    assert len(asyncio.all_tasks()) <= tasks  # no relay is left behind


def test_an_exercise_cannot_ask_for_more_in_flight_than_the_bridge_relays():
    assert MAX_IN_FLIGHT <= WeatherBridge.MAX_CONNECTIONS


async def test_a_task_id_used_again_is_relayed_once(launcher):
    started = b'{"type": "task_started", "task": 7, "t": 0.5}\n'
    finished = b'{"type": "task_finished", "task": 7, "t": 0.75, "ok": true}\n'
    code = EVENTS + f"os.write(FD, {started!r} * 5000)\nos.write(FD, {finished!r} * 5000)\n"
    outcome, events = await sandboxed(launcher, code)
    relayed = [event for event in events if event["type"] in ("task_started", "task_finished")]
    assert [event["type"] for event in relayed] == ["task_started", "task_finished"]
    assert outcome.tasks[0] | {"output": ()} == {
        "task": 7, "start": 0.5, "end": 0.75, "ok": True, "output": ()
    }  # fmt: skip


async def test_a_ten_megabyte_line_on_standard_output_is_stopped_within_the_wall_clock(launcher):
    code = "import sys\nsys.stdout.write('x' * 10_000_000)\n"
    outcome, _ = await asyncio.wait_for(sandboxed(launcher, code), launcher.limits.wall_seconds + 2)
    assert outcome.status == "failed"
    assert outcome.reason == "Stopped: printed more than 64 KiB."


async def test_a_forged_step_of_a_huge_length_is_not_graded_as_an_infinite_figure(launcher):
    step = {"kind": "step", "t": 0.5, "task": 1, "ready": None, "start": 0.5, "end": 1.7e308,
            "line": 3, "awaits": None, "state": "done"}  # fmt: skip
    code = write_events(json.dumps({"type": "trace", "records": [step]}))
    outcome, _ = await sandboxed(launcher, code)
    run = MeasuredRun(outcome.status, outcome.elapsed, trace=outcome.trace)
    (verdict,) = grade([Goal("loop_blocked_under", 100.0)], run)
    # The page reads it with JSON.parse, which knows no Infinity.
    json.dumps(verdict, allow_nan=False)
    assert outcome.trace == []  # a time past any wall clock is forged: the batch is dropped
