"""Hostile readers' programs against graded exercises, run in real bubblewrap sandboxes.

Each program attacks what a run is graded on: the events it writes to the
site's event channel, the weather bridge that counts its requests, the
limits it runs under. The grading must not crash or hang, must not be
carried past what was measured outside the sandbox, and the runner must
be left as it was before.
"""

import time

import pytest
from django.conf import settings

from sandbox.launcher import Launcher
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
