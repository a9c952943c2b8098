"""Redis stops and comes back while the site runs; daphne is never restarted.

The test starts its own redis-server on a free port, so stopping it touches
nothing else. While Redis is away, what needs it says so clearly and the rest
of the site works; when it is back, everything works again by itself.
"""

import asyncio
import json
import subprocess
import time
import urllib.request

import pytest
import websockets

from tests import services
from tests.servers import StaffBrowser, create_superuser, free_port, running_site

pytestmark = pytest.mark.slow

STAFF = ("staff", "a long passphrase for the test")
LESSON_PATH = "/courses/asyncio/the-event-loop/"


class RedisServer:
    def __init__(self, port: int, folder) -> None:
        self.port = port
        self.folder = folder
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(
            [services.redis_server_binary(), "--port", str(self.port), "--bind", "127.0.0.1",
             "--save", "", "--appendonly", "no", "--dir", str(self.folder)],
            stdout=subprocess.DEVNULL,
        )  # fmt: skip
        deadline = time.monotonic() + 10
        while not services.reachable(f"redis://127.0.0.1:{self.port}"):
            if time.monotonic() > deadline or self.process.poll() is not None:
                raise RuntimeError(f"redis-server did not start on port {self.port}")
            time.sleep(0.05)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)


@pytest.fixture
def redis_server(tmp_path):
    server = RedisServer(free_port(), tmp_path)
    server.start()
    yield server
    server.stop()


def reader(site):
    return websockets.connect(site.ws_url, origin=site.url)


async def next_message(socket, within: float = 10) -> dict:
    return json.loads(await asyncio.wait_for(socket.recv(), within))


async def run(socket, run_id: str) -> dict:
    """Ask for a short run; its last message (``finished`` or ``error``)."""
    frame = {"type": "run", "id": run_id, "demo": "sleep", "mode": "async"}
    await socket.send(json.dumps({**frame, "params": {"tasks": 1, "seconds": 0.05}}))
    while (event := await next_message(socket))["type"] not in {"finished", "error"}:
        pass
    return event


def page_status(site, path: str) -> int:
    with urllib.request.urlopen(site.url + path, timeout=5) as response:
        return response.status


def lesson_id(site) -> int:
    with urllib.request.urlopen(site.url + LESSON_PATH, timeout=5) as response:
        page = response.read().decode()
    return int(page.split('data-lesson-id="', 1)[1].split('"', 1)[0])


async def until_a_run_works(socket, within: float = 10) -> dict:
    deadline = time.monotonic() + within
    attempt = 0
    while (outcome := await run(socket, f"retry-{attempt}"))["type"] != "finished":
        assert time.monotonic() < deadline, f"runs did not come back: {outcome}"
        attempt += 1
        await asyncio.sleep(0.5)
    return outcome


async def until_told_of_a_save(watcher, staff: StaffBrowser, lesson: int) -> dict:
    """Save the lesson until the watcher hears of it (its group is joined again after a retry)."""
    for attempt in range(8):
        await asyncio.to_thread(
            staff.save_lesson, lesson, title=f"Saved after Redis came back ({attempt})"
        )
        try:
            while (heard := await next_message(watcher, within=2))["type"] != "lesson_updated":
                pass
            return heard
        except TimeoutError:
            continue
    raise AssertionError("the watcher never heard of a save after Redis came back")


async def test_the_site_rides_out_a_redis_restart(tmp_path, redis_server):
    url = f"redis://127.0.0.1:{redis_server.port}/0"
    with running_site(tmp_path, REDIS_URL=url) as site:
        create_superuser(site.env, *STAFF)
        staff = await asyncio.to_thread(StaffBrowser, site.url, *STAFF)
        lesson = lesson_id(site)
        async with reader(site) as watcher:
            await watcher.send(json.dumps({"type": "watch", "lesson": lesson}))
            assert await next_message(watcher) == {"type": "watching", "lesson": lesson}
            assert (await run(watcher, "before"))["status"] == "ok"

            redis_server.stop()

            # What needs Redis says so at once, on the sockets that were open and on new ones.
            started = time.monotonic()
            refused = await run(watcher, "during")
            assert refused["code"] == "unavailable"
            assert "try again in a moment" in refused["message"]
            assert time.monotonic() - started < 5  # no long retries: it fails fast
            async with reader(site) as newcomer:
                assert (await run(newcomer, "newcomer"))["code"] == "unavailable"
                await newcomer.send(json.dumps({"type": "watch", "lesson": lesson}))
                paused = await next_message(newcomer)
                assert paused["code"] == "unavailable"
                assert "resume by themselves" in paused["message"]
            # The rest of the site goes on: pages, and staff saves (readers just aren't told).
            assert page_status(site, LESSON_PATH) == 200
            await asyncio.to_thread(staff.save_lesson, lesson, title="Saved while Redis was away")
            assert "Saved while Redis was away" in await asyncio.to_thread(
                lambda: urllib.request.urlopen(site.url + LESSON_PATH, timeout=5).read().decode()
            )

            redis_server.start()  # same port, empty: it kept nothing

            # Runs work again, with no restart of daphne.
            assert (await until_a_run_works(watcher))["status"] == "ok"
            # The watcher's socket stayed open and, once its group is joined again,
            # hears the next save.
            heard = await until_told_of_a_save(watcher, staff, lesson)
            assert heard["title"].startswith("Saved after Redis came back")
        assert site.daphne.poll() is None  # the same daphne all along
