"""Start the site as ``make run`` would, on the bench's ASGI entry point.

One daphne process, SQLite (a fresh database per run, so the bench never
touches the developer's), the in-memory channel layer and the bundled weather
simulator. Only the demo caps and the rate limit are raised, so the load a
scenario applies is measured rather than refused. A scenario that runs
readers' own programs asks for a site with sandboxes: then, as ``make run``
does, a private Redis on a unix socket carries the channel layer and a sandbox
runner (``python -m sandbox``) takes the programs from it. Everything started
here is stopped again, whatever happens.
"""

import contextlib
import os
import shutil
import socket
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from tutorialsite.processes import start, stop
from tutorialsite.sandbox_runner import PrivateRedis, start_runner

ROOT = Path(__file__).resolve().parent.parent
HOST = "127.0.0.1"
# A bundled, published lesson with a live demo and its "Runs so far" table.
LESSON_PATH = "/courses/asyncio/blocking-vs-non-blocking/"
LESSON_TITLE = b"Blocking vs non-blocking code"

ASGI_APP = "bench.asgi:application"
# Raised so that 1,000 readers at once are served, not queued or refused.
BENCH_ENV = {
    "DEMO_SYNC_WORKERS": "64",
    "DEMO_MAX_RUNNING": "10000",
    "DEMO_RATE_LIMIT": "1000000/s",
    "DEMO_SOCKETS_PER_CLIENT": "1000000",  # every bench reader comes from 127.0.0.1
}
# Longer than the helper's defaults: a start may follow a heavy scenario, and a
# stopping daphne lets its running demos end.
START_SECONDS = 60
STOP_GRACE_SECONDS = 15


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return probe.getsockname()[1]


@dataclass
class Site:
    port: int
    daphne: subprocess.Popen
    env: dict[str, str]
    log: Path
    # With sandboxes: the runner taking readers' programs (its output is in ``log``).
    runner: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.port}"

    @property
    def ws_url(self) -> str:
        return f"ws://{HOST}:{self.port}"

    @property
    def origin(self) -> str:
        return self.url

    def cpu_seconds(self) -> float:
        """User and system CPU time the daphne process has used so far (Linux)."""
        fields = Path(f"/proc/{self.daphne.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def rss_kib(self) -> int:
        """The daphne process's resident memory, from /proc (Linux)."""
        status = Path(f"/proc/{self.daphne.pid}/status").read_text()
        for line in status.splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
        raise RuntimeError("no VmRSS line in /proc/<pid>/status")


class Workspace:
    """A database with the bundled lessons, and the weather simulator, for one bench run."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        weather_port = free_port()
        self.env = {k: v for k, v in os.environ.items() if not k.startswith(("DEMO_", "DJANGO_"))}
        self.env.update(
            DJANGO_SETTINGS_MODULE="tutorialsite.settings",
            DATABASE_URL=f"sqlite:///{folder / 'bench.sqlite3'}",
            WEATHER_API_URL=f"http://{HOST}:{weather_port}/services/json/",
            PYTHONUNBUFFERED="1",
            **BENCH_ENV,
        )
        self.env.pop("REDIS_URL", None)  # the in-memory layer, as `make run` without Redis
        for command in (["migrate", "--noinput"], ["load_lessons"]):
            subprocess.run(
                [sys.executable, "manage.py", *command],
                cwd=ROOT,
                env=self.env,
                check=True,
                capture_output=True,
            )
        self.simulator = start(
            [sys.executable, "-m", "weathersim", "--host", HOST, "--port", str(weather_port)],
            f"http://{HOST}:{weather_port}/health",
            name="the weather simulator",
            timeout=START_SECONDS,
            cwd=ROOT,
            env=self.env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )

    @contextlib.contextmanager
    def site(self, name: str = "site", *, sandboxes: bool = False) -> Iterator[Site]:
        """A daphne process serving ``bench.asgi``; several may be started in turn.

        With ``sandboxes``, daphne's channel layer is a private Redis, and a
        sandbox runner on the same Redis runs readers' programs; both are
        stopped with daphne. Without, the in-memory layer, as every other
        scenario measures it.
        """
        port = free_port()
        log = self.folder / f"daphne-{name}-{port}.log"
        with contextlib.ExitStack() as stack:
            env = self.env
            if sandboxes:
                missing = [tool for tool in ("bwrap", "redis-server") if not shutil.which(tool)]
                if missing:
                    raise RuntimeError(f"a site with sandboxes needs {' and '.join(missing)}")
                redis = PrivateRedis().start()
                stack.callback(redis.stop)
                env = {**self.env, "REDIS_URL": redis.url}
            with log.open("wb") as out:
                daphne = start(
                    [sys.executable, "-m", "daphne", "-b", HOST, "-p", str(port), ASGI_APP],
                    f"http://{HOST}:{port}/bench/raw/hello/",
                    name="daphne",
                    timeout=START_SECONDS,
                    cwd=ROOT,
                    env=env,
                    stdout=out,
                    stderr=subprocess.STDOUT,
                )
                stack.callback(stop, daphne, grace=STOP_GRACE_SECONDS)
                runner = None
                if sandboxes:
                    runner = start_runner(
                        redis.url, env["WEATHER_API_URL"], environ=env,
                        stdout=out, stderr=subprocess.STDOUT,
                    )  # fmt: skip
                    stack.callback(stop, runner, grace=STOP_GRACE_SECONDS)
            yield Site(port=port, daphne=daphne, env=env, log=log, runner=runner)

    def close(self) -> None:
        stop(self.simulator, grace=STOP_GRACE_SECONDS)


@contextlib.contextmanager
def workspace(keep: bool = False) -> Iterator[Workspace]:
    folder = Path(tempfile.mkdtemp(prefix="asyncio-site-bench-"))
    space = Workspace(folder)
    try:
        yield space
    finally:
        space.close()
        if not keep:
            for item in folder.iterdir():
                item.unlink()
            folder.rmdir()
