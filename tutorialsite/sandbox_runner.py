"""The sandbox runner beside daphne on one machine, and the Redis that feeds it.

Readers' programs run in runner processes (``python -m sandbox``), never in
daphne; daphne hands them over through the channel layer, which must then be
Redis, shared by both. ``manage.py serve`` starts one runner. With REDIS_URL
set it uses that Redis; without it, a private ``redis-server`` on a unix
socket in a runtime folder of its own (no port, nothing saved), so that one
``make run`` still needs nothing configured. The runner gets an environment
of only what it needs: no secret key and no database address.
"""

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from django.conf import settings

from tutorialsite.processes import StartFailed, stop

ROOT = Path(__file__).resolve().parent.parent
REDIS_START_SECONDS = 10.0
# What the runner reads (sandbox/__main__.py), and nothing else of ours.
RUNNER_VARIABLES = ("DEMO_SANDBOXES", "SANDBOX_CPU_SECONDS", "SANDBOX_MEMORY_MB",
                    "SANDBOX_PROCESSES", "SANDBOX_FILE_KB", "SANDBOX_OUTPUT_KB",
                    "SANDBOX_WALL_SECONDS")  # fmt: skip


def missing_tools() -> list[str]:
    """What this machine lacks to run readers' programs (empty: nothing)."""
    missing = []
    if shutil.which("bwrap") is None:
        missing.append("bubblewrap (bwrap)")
    if not settings.REDIS_URL and shutil.which("redis-server") is None:
        missing.append("redis-server")
    return missing


class PrivateRedis:
    """A redis-server on a unix socket only this machine's processes reach."""

    def __init__(self) -> None:
        self.folder = Path(tempfile.mkdtemp(prefix="asyncio-site-redis-"))
        self.socket = self.folder / "redis.sock"
        self.url = f"unix://{self.socket}"
        self.process: subprocess.Popen | None = None

    def start(self) -> "PrivateRedis":
        self.process = subprocess.Popen(
            ["redis-server", "--port", "0", "--unixsocket", str(self.socket),
             "--unixsocketperm", "700", "--save", "", "--appendonly", "no",
             "--dir", str(self.folder), "--loglevel", "warning"],
            stdout=subprocess.DEVNULL,
        )  # fmt: skip
        deadline = time.monotonic() + REDIS_START_SECONDS
        while not _pings(self.socket):
            if self.process.poll() is not None:
                raise StartFailed(f"redis-server exited with code {self.process.returncode}")
            if time.monotonic() > deadline:
                self.stop()
                raise StartFailed(f"redis-server did not answer within {REDIS_START_SECONDS:g} s")
            time.sleep(0.05)
        return self

    def stop(self) -> None:
        if self.process is not None:
            stop(self.process)
        shutil.rmtree(self.folder, ignore_errors=True)


def _pings(path: Path) -> bool:
    try:
        with socket.socket(socket.AF_UNIX) as connection:
            connection.settimeout(0.5)
            connection.connect(str(path))
            connection.sendall(b"PING\r\n")
            return connection.recv(16).startswith(b"+PONG")
    except OSError:
        return False


def start_runner(
    redis_url: str, weather_url: str = "", *, environ: dict[str, str] | None = None, **popen
) -> subprocess.Popen:
    """``python -m sandbox`` fed from ``redis_url``, with only the variables it reads
    (from ``environ``, the process's own by default)."""
    environ = os.environ if environ is None else environ
    env = {"PATH": environ.get("PATH", "/usr/bin:/bin"), "LANG": "C.UTF-8",
           "REDIS_URL": redis_url,
           "WEATHER_API_URL": weather_url or settings.WEATHER_API_URL}  # fmt: skip
    env.update({name: environ[name] for name in RUNNER_VARIABLES if name in environ})
    runner = subprocess.Popen([sys.executable, "-m", "sandbox"], cwd=ROOT, env=env, **popen)
    time.sleep(0.3)  # a runner that cannot start (no bwrap, a bad setting) exits at once
    if runner.poll() is not None:
        raise StartFailed(f"the sandbox runner exited with code {runner.returncode}")
    return runner
