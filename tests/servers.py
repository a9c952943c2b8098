"""Real server processes for end-to-end tests: the weather simulator, daphne, the cluster.

Each starts on a free port with its own database (SQLite unless a test passes a
PostgreSQL URL), and is always stopped. ``running_cluster`` starts several
daphne processes behind nginx, with the code ``serve --processes`` uses.
``StaffBrowser`` logs in to the admin and saves lessons over HTTP, as an
editor's browser does.
"""

import contextlib
import http.cookiejar
import os
import socket
import subprocess
import sys
import urllib.parse
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from tests import services
from tests.html_reader import form_data, parse_html
from tutorialsite.cluster import Cluster
from tutorialsite.processes import start, stop
from tutorialsite.sandbox_runner import PrivateRedis, start_runner

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class Site:
    url: str
    ws_url: str
    weather_url: str
    env: dict[str, str]
    daphne: subprocess.Popen


def site_env(database: Path | str, weather_port: int, **extra: str) -> dict[str, str]:
    """The environment of a site's processes; ``database`` is a SQLite file or a URL."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("PYTEST")}
    env.update(
        DJANGO_SETTINGS_MODULE="tutorialsite.settings",
        DATABASE_URL=database if isinstance(database, str) else f"sqlite:///{database}",
        WEATHER_API_URL=f"http://127.0.0.1:{weather_port}/services/json/",
        WEATHER_TIMEOUT="1",
        PYTHONUNBUFFERED="1",
        **extra,
    )
    return env


def manage(env: dict[str, str], *args: str) -> None:
    done = subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True
    )
    if done.returncode:
        raise RuntimeError(f"manage.py {' '.join(args)} failed:\n{done.stdout}{done.stderr}")


@contextlib.contextmanager
def running_site(tmp: Path, *, sandboxes: bool = False, **extra_env: str) -> Iterator[Site]:
    """The site in daphne beside its weather simulator; with ``sandboxes``, also a
    sandbox runner for readers' programs, fed by a private Redis (as ``serve`` does)."""
    with contextlib.ExitStack() as stack:
        if sandboxes:
            services.bwrap_binary()
            services.redis_server_binary()
            redis = PrivateRedis().start()
            stack.callback(redis.stop)
            extra_env["REDIS_URL"] = redis.url
        site = stack.enter_context(_running_site(tmp, **extra_env))
        if sandboxes:
            runner = start_runner(
                redis.url, site.weather_url, environ=site.env, stdout=subprocess.DEVNULL
            )
            stack.callback(stop, runner)
        yield site


@contextlib.contextmanager
def _running_site(tmp: Path, **extra_env: str) -> Iterator[Site]:
    weather_port, port = free_port(), free_port()
    env = site_env(tmp / "site.sqlite3", weather_port, **extra_env)
    manage(env, "migrate", "--noinput")
    manage(env, "load_lessons")
    simulator = start(
        [sys.executable, "-m", "weathersim", "--port", str(weather_port),
         "--latency-scale", "0.05"],
        f"http://127.0.0.1:{weather_port}/health",
        name="the weather simulator",
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
    )  # fmt: skip
    site = None
    try:
        site = Site(
            url=f"http://127.0.0.1:{port}",
            ws_url=f"ws://127.0.0.1:{port}/ws/demos/",
            weather_url=env["WEATHER_API_URL"],
            env=env,
            daphne=start_daphne(env, port),
        )
        yield site
    finally:
        # site.daphne, not the first process: daphne_stopped() may have replaced it.
        if site is not None:
            stop(site.daphne)
        stop(simulator)


@contextlib.contextmanager
def daphne_stopped(site: Site) -> Iterator[None]:
    """Stops the site's daphne, then starts it again on the same port with the same settings."""
    stop(site.daphne)
    try:
        yield
    finally:
        site.daphne = start_daphne(site.env, urlsplit(site.url).port)


def start_daphne(env: dict[str, str], port: int, *options: str) -> subprocess.Popen:
    """daphne on 127.0.0.1:``port`` with ``env``; ``options`` go to daphne (--proxy-headers)."""
    return start(
        [sys.executable, "-m", "daphne", "-b", "127.0.0.1", "-p", str(port), *options,
         "tutorialsite.asgi:application"],
        f"http://127.0.0.1:{port}/",
        name="daphne",
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
    )  # fmt: skip


@contextlib.contextmanager
def running_cluster(env: dict[str, str], processes: int = 2) -> Iterator[Cluster]:
    """``processes`` daphne processes behind nginx on a free port, as ``serve`` starts them."""
    services.nginx_binary()
    cluster = Cluster(processes, "127.0.0.1", free_port(), env=env, output=subprocess.DEVNULL)
    with cluster:
        yield cluster


def form_fields(page: str, form_id: str) -> dict[str, str]:
    form = parse_html(page).find("form", id=form_id)
    if form is None:
        raise AssertionError(f"no form #{form_id} on the page")
    return form_data(form)


def create_superuser(env: dict[str, str], username: str, password: str) -> None:
    email = f"{username}@example.org"
    env = {**env, "DJANGO_SUPERUSER_PASSWORD": password}
    manage(env, "createsuperuser", "--noinput", "--username", username, "--email", email)


class StaffBrowser:
    """An editor's browser: logs in to the admin of ``url`` and saves lessons there."""

    def __init__(self, url: str, username: str, password: str) -> None:
        self.url = url
        self.cookies = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.cookies))
        page = self._get("/admin/login/")
        fields = form_fields(page, "login-form")
        fields.update(username=username, password=password, next="/admin/")
        final_url, _ = self._post("/admin/login/", fields)
        if "/admin/login/" in final_url:
            raise AssertionError(f"could not log in to {url} as {username}")

    def use(self, url: str) -> None:
        """Go on with the same session on another process of the site."""
        self.url = url

    def save_lesson(self, lesson_id: int, **changes: str) -> str:
        """Open the lesson's change form, change fields, save; returns the page it lands on."""
        path = f"/admin/lessons/lesson/{lesson_id}/change/"
        fields = form_fields(self._get(path), "lesson_form")
        fields.update(changes)
        final_url, page = self._post(path, fields)
        if final_url.endswith(path):
            raise AssertionError(f"the save was refused:\n{page[:2000]}")
        return final_url

    def _get(self, path: str) -> str:
        with self.opener.open(self.url + path, timeout=10) as response:
            return response.read().decode()

    def _post(self, path: str, fields: dict[str, str]) -> tuple[str, str]:
        token = next(c.value for c in self.cookies if c.name == "csrftoken")
        data = urllib.parse.urlencode({**fields, "csrfmiddlewaretoken": token}).encode()
        headers = {"Origin": self.url, "Referer": self.url}  # as a browser sends them
        request = urllib.request.Request(self.url + path, data=data, headers=headers)
        with self.opener.open(request, timeout=10) as response:
            return response.geturl(), response.read().decode()
