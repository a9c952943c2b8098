"""Several local processes behind one address: the round-robin proxy and ``serve --processes``."""

import asyncio
import json
import re
import signal
import subprocess
import sys
import time
import urllib.request

import pytest
import websockets
from django.core.management import CommandError, call_command

from tests import services
from tests.servers import ROOT, free_port, manage, site_env
from tutorialsite.proxy import RoundRobinProxy, parse_address

REDIS_DB = 13  # this file's own database, emptied before use


async def named_backend(name: str) -> tuple[asyncio.Server, int]:
    """A backend that answers every connection with its name."""

    async def answer(reader, writer):
        writer.write(name.encode())
        await writer.drain()
        writer.close()

    server = await asyncio.start_server(answer, "127.0.0.1", 0)
    return server, server.sockets[0].getsockname()[1]


async def proxied(backends: list[tuple[str, int]]) -> tuple[asyncio.Server, int]:
    server = await asyncio.start_server(RoundRobinProxy(backends).handle, "127.0.0.1", 0)
    return server, server.sockets[0].getsockname()[1]


async def ask(port: int) -> str:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    answer = await asyncio.wait_for(reader.read(), 5)
    writer.close()
    return answer.decode()


async def test_the_proxy_hands_connections_to_its_backends_in_turn():
    (one, one_port), (two, two_port) = await named_backend("one"), await named_backend("two")
    proxy, port = await proxied([("127.0.0.1", one_port), ("127.0.0.1", two_port)])
    async with one, two, proxy:
        assert [await ask(port) for _ in range(4)] == ["one", "two", "one", "two"]


async def test_the_proxy_skips_a_backend_that_refuses():
    live, live_port = await named_backend("live")
    proxy, port = await proxied([("127.0.0.1", free_port()), ("127.0.0.1", live_port)])
    async with live, proxy:
        assert [await ask(port) for _ in range(3)] == ["live"] * 3


async def test_the_proxy_passes_websockets_through():
    async def echo(socket):
        async for message in socket:
            await socket.send(f"echo: {message}")

    async with websockets.serve(echo, "127.0.0.1", 0) as backend:
        backend_port = backend.sockets[0].getsockname()[1]
        proxy, port = await proxied([("127.0.0.1", backend_port)])
        async with proxy, websockets.connect(f"ws://127.0.0.1:{port}/") as socket:
            await socket.send("hello")
            assert await socket.recv() == "echo: hello"


def test_an_address_is_host_and_port():
    assert parse_address("127.0.0.1:8000") == ("127.0.0.1", 8000)
    assert parse_address("[::1]:8000") == ("::1", 8000)
    assert parse_address(":8000") == ("127.0.0.1", 8000)


def test_serve_refuses_several_processes_without_redis(settings):
    settings.REDIS_URL = ""
    with pytest.raises(CommandError, match="set REDIS_URL"):
        call_command("serve", processes=2)


@pytest.mark.slow
def test_serve_runs_several_processes_behind_one_address_and_stops_them_all(tmp_path):
    redis = services.redis_url(REDIS_DB)
    services.redis_flush(redis)
    port, weather_port = free_port(), free_port()
    env = site_env(tmp_path / "site.sqlite3", weather_port, REDIS_URL=redis)
    manage(env, "migrate", "--noinput")
    serve = subprocess.Popen(
        [sys.executable, "manage.py", "serve", "--processes", "2", "--port", str(port),
         "--weather-port", str(weather_port)],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    try:
        output = read_until(serve, "Serving on")
        assert "SQLite" in output  # warned: several processes on one SQLite file
        backends = [int(p) for p in re.search(r"ports (\d+), (\d+)", output).groups()]
        for backend in [port, *backends]:
            with urllib.request.urlopen(f"http://127.0.0.1:{backend}/", timeout=5) as page:
                assert page.status == 200
        assert asyncio.run(run_through(port))["status"] == "ok"
        serve.send_signal(signal.SIGINT)
        assert serve.wait(timeout=20) == 0
    finally:
        if serve.poll() is None:
            serve.kill()
            serve.wait()
    for backend in [port, weather_port, *backends]:
        assert not services.reachable(f"http://127.0.0.1:{backend}")


async def run_through(port: int) -> dict:
    """A demo run through the proxy's websocket; its ``finished`` message."""
    url = f"ws://127.0.0.1:{port}/ws/demos/"
    frame = {"type": "run", "id": "r", "demo": "sleep", "mode": "async"}
    async with websockets.connect(url, origin=f"http://127.0.0.1:{port}") as socket:
        await socket.send(json.dumps({**frame, "params": {"seconds": 0.05}}))
        while (event := json.loads(await socket.recv()))["type"] != "finished":
            pass
    return event


def read_until(process: subprocess.Popen, marker: str, within: float = 60) -> str:
    seen = []
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line and process.poll() is not None:
            break
        seen.append(line)
        if marker in line:
            return "".join(seen)
    raise AssertionError(f"no {marker!r} from serve:\n{''.join(seen)}")
