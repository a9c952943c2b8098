"""Several local processes behind the real nginx: ``serve --processes`` and tutorialsite.cluster.

nginx runs deploy/nginx.conf with only its sockets and address replaced, so
what it does for production (each reader's own address passed to daphne, a
cap on connections per address) is tested here.
"""

import asyncio
import contextlib
import os
import re
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
import websockets
from django.core.management import CommandError, call_command

from tests import services
from tests.servers import ROOT, free_port, manage, running_cluster, site_env
from tests.sockets import outcome, own_program, reader, run
from tutorialsite.cluster import PRODUCTION_CONFIG, ClusterError, render_site

REDIS_DB = 13  # this file's own database, emptied before use
SOCKETS = [Path("/run/test/daphne-1.sock"), Path("/run/test/daphne-2.sock")]
PRODUCTION = PRODUCTION_CONFIG.read_text()


def test_the_local_configuration_is_production_s_with_only_sockets_and_address_replaced():
    rendered = render_site(PRODUCTION, SOCKETS, "127.0.0.1", 8000)

    assert re.findall(r"^\s*server unix:.*$", rendered, re.MULTILINE) == [
        "    server unix:/run/test/daphne-1.sock max_fails=1 fail_timeout=5s;",
        "    server unix:/run/test/daphne-2.sock max_fails=1 fail_timeout=5s;",
    ]
    assert re.findall(r"^\s*listen .*$", rendered, re.MULTILINE) == ["    listen 127.0.0.1:8000;"]

    def others(text: str) -> list[str]:
        replaced = re.compile(r"\s*(server unix:|listen )")
        return [line for line in text.splitlines() if not replaced.match(line)]

    assert others(rendered) == others(PRODUCTION)


def test_an_ipv6_address_is_written_as_nginx_reads_it():
    assert "    listen [::1]:8000;" in render_site(PRODUCTION, SOCKETS, "::1", 8000).splitlines()


@pytest.mark.parametrize(
    ("lost", "message"),
    [
        (r"^\s*server unix:.*\n", "has no upstream `server unix:...;` line: the local"),
        (r"^\s*listen .*\n", "has no `listen` line: the local cluster runs"),
    ],
)
def test_the_local_configuration_is_refused_when_production_lost_a_line_it_replaces(lost, message):
    edited = re.sub(lost, "", PRODUCTION, flags=re.MULTILINE)
    with pytest.raises(ClusterError, match=re.escape(message)):
        render_site(edited, SOCKETS, "127.0.0.1", 8000)


def test_the_long_search_request_line_is_let_through_whichever_server_is_the_default(settings):
    # nginx reads a request line with the default server's buffers, before the
    # Host picks this site's server, so a setting inside it may never apply.
    setting = re.search(r"^(\s*)large_client_header_buffers (\d+) (\d+)k;", PRODUCTION, re.M)
    assert setting is not None
    assert setting[1] == "", "large_client_header_buffers must be outside the server block"
    assert int(setting[3]) * 1024 > settings.LONG_QUERY_STRING_BYTES["/search/"]


def test_serve_refuses_several_processes_without_redis(settings):
    settings.REDIS_URL = ""
    with pytest.raises(CommandError, match="set REDIS_URL"):
        call_command("serve", processes=2)


@pytest.fixture
def shared_env(tmp_path):
    """A migrated SQLite site sharing this file's Redis database (several processes need one)."""
    redis = services.redis_url(REDIS_DB)
    services.redis_flush(redis)

    def env(**settings: str) -> dict[str, str]:
        made = site_env(tmp_path / "site.sqlite3", free_port(), REDIS_URL=redis, **settings)
        manage(made, "migrate", "--noinput")
        return made

    yield env
    services.redis_flush(redis)


@pytest.mark.slow
def test_serve_runs_several_processes_behind_nginx_and_stops_them_all(shared_env):
    services.nginx_binary()
    env = shared_env()
    port, weather_port = free_port(), free_port()
    serve = subprocess.Popen(
        [sys.executable, "manage.py", "serve", "--processes", "2", "--port", str(port),
         "--weather-port", str(weather_port)],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    try:
        output = read_until(serve, "Serving on")
        assert "SQLite" in output  # warned: several processes on one SQLite file
        runtime = Path(re.search(r"unix sockets in (\S+),", output)[1])
        started = descendants(serve.pid)
        assert sorted(started.values()) == [
            "daphne",
            "daphne",
            "nginx: master process",
            "nginx: worker process",
            "sandbox",
            "weathersim",
        ]
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=5) as page:
            assert page.status == 200
        site = f"http://127.0.0.1:{port}"

        async def one_run() -> list[dict]:
            async with reader(site) as socket:
                return await run(socket, "through-nginx", 0.05)

        assert outcome(asyncio.run(one_run())) == "ok"

        # The runner serve started takes it from the same Redis.

        events = asyncio.run(own_program(site, "print('mine')\n"))
        assert outcome(events) == "ok"
        assert [e["text"] for e in events if e["type"] == "output"] == ["mine"]
        serve.send_signal(signal.SIGINT)
        rest, _ = serve.communicate(timeout=30)  # the output ends when every process has
    finally:
        if serve.poll() is None:
            serve.kill()
            serve.communicate()
    assert serve.returncode == 0
    assert "Stopped." in rest
    assert [pid for pid in started if Path(f"/proc/{pid}").exists()] == []
    assert not runtime.exists()
    for stopped in (port, weather_port):
        assert not services.reachable(f"http://127.0.0.1:{stopped}")


@pytest.mark.slow
async def test_a_reader_behind_nginx_is_rate_limited_by_their_own_address(shared_env):
    env = await asyncio.to_thread(shared_env, DEMO_RATE_LIMIT="2/m")
    with running_cluster(env) as cluster:
        async with reader(cluster.url, "127.0.0.2") as eager:
            assert outcome(await run(eager, "one", 0.05)) == "ok"
            assert outcome(await run(eager, "two", 0.05)) == "ok"
            assert outcome(await run(eager, "three", 0.05)) == "rate_limited"
        # Another address is another reader, with runs of their own.
        async with reader(cluster.url, "127.0.0.3") as other:
            assert outcome(await run(other, "four", 0.05)) == "ok"


@pytest.mark.slow
async def test_nginx_refuses_one_address_past_its_connection_cap_while_another_connects(
    shared_env,
):
    cap = int(re.search(r"limit_conn per_address (\d+);", PRODUCTION)[1])
    # Well above nginx's cap, so that the refusal tested is nginx's, not the site's.
    env = await asyncio.to_thread(shared_env, DEMO_SOCKETS_PER_CLIENT=str(4 * cap))
    with running_cluster(env) as cluster:
        async with contextlib.AsyncExitStack() as held:
            for _ in range(cap):
                await held.enter_async_context(reader(cluster.url, "127.0.0.4"))
            with pytest.raises(websockets.InvalidStatus) as refused:
                async with reader(cluster.url, "127.0.0.4"):
                    pass
            assert refused.value.response.status_code == 503
            async with reader(cluster.url, "127.0.0.5") as another:
                assert outcome(await run(another, "another", 0.05)) == "ok"


@pytest.mark.slow
async def test_nginx_holds_one_address_to_its_request_rate_while_another_is_served(shared_env):
    burst = int(re.search(r"limit_req zone=requests burst=(\d+)", PRODUCTION)[1])
    env = await asyncio.to_thread(shared_env)
    with running_cluster(env) as cluster:
        port = int(cluster.url.rsplit(":", 1)[1])
        flood = []
        for _ in range(4):  # in quick batches, below nginx's cap on connections
            batch = [get_from(port, "/?x=1", "127.0.0.6") for _ in range((burst + 60) // 4)]
            flood += await asyncio.gather(*batch)
        assert flood.count(200) >= burst  # the burst passes: a classroom behind one address
        assert flood.count(429) > 0  # past it, a flood from that address is held back
        assert await get_from(port, "/static/css/site.css", "127.0.0.6") == 200
        assert await get_from(port, "/", "127.0.0.7") == 200  # another reader


async def get_from(port: int, path: str, source: str) -> int:
    """The status of one GET to the cluster, sent from the local address ``source``."""
    reader_, writer = await asyncio.open_connection("127.0.0.1", port, local_addr=(source, 0))
    writer.write(
        f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n\r\n".encode()
    )
    status_line = await reader_.readline()
    writer.close()
    return int(status_line.split()[1])


@pytest.mark.slow
def test_serve_stops_everything_without_an_error_when_daphne_is_stopped_alone(tmp_path):
    env = site_env(tmp_path / "site.sqlite3", free_port())
    manage(env, "migrate", "--noinput")
    port, weather_port = free_port(), free_port()
    serve = subprocess.Popen(
        [sys.executable, "manage.py", "serve", "--port", str(port),
         "--weather-port", str(weather_port)],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    try:
        read_until(serve, "Serving on")
        deadline = time.monotonic() + 30
        while not services.reachable(f"http://127.0.0.1:{port}") and time.monotonic() < deadline:
            time.sleep(0.1)  # daphne is up: its SIGTERM handler is in place
        started = descendants(serve.pid)
        [daphne] = [pid for pid, name in started.items() if name == "daphne"]
        os.kill(daphne, signal.SIGTERM)  # as a process manager would stop it
        rest, _ = serve.communicate(timeout=30)
    finally:
        if serve.poll() is None:
            serve.kill()
            serve.communicate()
    assert serve.returncode == 0, rest
    assert "daphne stopped; stopping the rest." in rest
    assert [pid for pid in started if Path(f"/proc/{pid}").exists()] == []


def descendants(pid: int) -> dict[int, str]:
    """Every process under ``pid``, by pid: its program, or nginx's title for itself."""
    parents = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue  # ended meanwhile
        parents[int(stat.parent.name)] = int(fields[1])
    found, todo = {}, [pid]
    while todo:
        parent = todo.pop()
        for child, its_parent in parents.items():
            if its_parent == parent:
                found[child] = program(child)
                todo.append(child)
    return found


def program(pid: int) -> str:
    words = Path(f"/proc/{pid}/cmdline").read_bytes().decode().split("\0")
    if title := re.match(r"nginx: \w+ process", words[0]):
        return title[0]
    return words[words.index("-m") + 1] if "-m" in words else os.path.basename(words[0])


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
