"""Real server processes for end-to-end tests: the weather simulator and daphne.

Each starts on a free port with its own SQLite database, and is always stopped.
"""

import contextlib
import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_for(url: str, process: subprocess.Popen, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{process.args} exited with {process.returncode}")
        try:
            urllib.request.urlopen(url, timeout=1).close()
            return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"{url} did not answer within {timeout} s")


def stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@dataclass
class Site:
    url: str
    ws_url: str
    weather_url: str
    env: dict[str, str]
    daphne: subprocess.Popen


def site_env(database: Path, weather_port: int, **extra: str) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("PYTEST")}
    env.update(
        DJANGO_SETTINGS_MODULE="tutorialsite.settings",
        DATABASE_URL=f"sqlite:///{database}",
        WEATHER_API_URL=f"http://127.0.0.1:{weather_port}/services/json/",
        WEATHER_TIMEOUT="1",
        PYTHONUNBUFFERED="1",
        **extra,
    )
    return env


def manage(env: dict[str, str], *args: str) -> None:
    subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, check=True, capture_output=True
    )


@contextlib.contextmanager
def running_site(tmp: Path, **extra_env: str) -> Iterator[Site]:
    weather_port, port = free_port(), free_port()
    env = site_env(tmp / "site.sqlite3", weather_port, **extra_env)
    manage(env, "migrate", "--noinput")
    manage(env, "load_lessons")
    simulator = subprocess.Popen(
        [sys.executable, "-m", "lessons.weathersim", "--port", str(weather_port)]
        + ["--latency-scale", "0.05"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
    )
    daphne = None
    try:
        wait_for(f"http://127.0.0.1:{weather_port}/health", simulator)
        daphne = start_daphne(env, port)
        yield Site(
            url=f"http://127.0.0.1:{port}",
            ws_url=f"ws://127.0.0.1:{port}/ws/demos/",
            weather_url=env["WEATHER_API_URL"],
            env=env,
            daphne=daphne,
        )
    finally:
        if daphne is not None:
            stop(daphne)
        stop(simulator)


def start_daphne(env: dict[str, str], port: int) -> subprocess.Popen:
    daphne = subprocess.Popen(
        [sys.executable, "-m", "daphne", "-b", "127.0.0.1", "-p", str(port)]
        + ["tutorialsite.asgi:application"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
    )
    try:
        wait_for(f"http://127.0.0.1:{port}/", daphne)
    except BaseException:
        stop(daphne)
        raise
    return daphne
