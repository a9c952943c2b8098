"""``serve`` (what ``make run`` starts) runs readers' programs on a runner of its own.

Without REDIS_URL it starts a private redis-server on a unix socket for daphne
and the runner to meet in, and stops it, with everything else, on Ctrl-C.
"""

import asyncio
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests import services
from tests.servers import ROOT, free_port, manage, site_env
from tests.sockets import outcome, own_program
from tests.test_cluster import descendants, read_until
from tutorialsite.processes import answers

pytestmark = pytest.mark.slow


def test_serve_runs_readers_programs_through_a_private_redis_and_stops_it(tmp_path):
    services.bwrap_binary()
    services.redis_server_binary()
    port, weather_port = free_port(), free_port()
    env = site_env(tmp_path / "site.sqlite3", weather_port)
    env.pop("REDIS_URL", None)
    manage(env, "migrate", "--noinput")
    serve = subprocess.Popen(
        [sys.executable, "manage.py", "serve", "--port", str(port),
         "--weather-port", str(weather_port)],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        start_new_session=True,  # its whole tree can be killed if the test fails
    )  # fmt: skip
    try:
        output = read_until(serve, "Serving on")
        site = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 30
        while not answers(site + "/") and time.monotonic() < deadline:
            time.sleep(0.1)
        redis_socket = Path(re.search(r"A private Redis on (\S+) feeds", output)[1])
        started = descendants(serve.pid)
        # redis-server retitles itself after its socket ("redis-server unixsocket:.../redis.sock").
        names = sorted("redis-server" if "redis" in name else name for name in started.values())
        assert names == ["daphne", "redis-server", "sandbox", "weathersim"]

        # The runner serve started takes it from the same Redis.

        events = asyncio.run(own_program(site, "print('mine')\n"))
        assert outcome(events) == "ok"
        assert [e["text"] for e in events if e["type"] == "output"] == ["mine"]
        serve.send_signal(signal.SIGINT)
        rest, _ = serve.communicate(timeout=30)
    finally:
        if serve.poll() is None:
            os.killpg(serve.pid, signal.SIGKILL)
            serve.communicate()
    assert serve.returncode == 0
    assert "Stopped." in rest
    assert [pid for pid in started if Path(f"/proc/{pid}").exists()] == []
    assert not redis_socket.parent.exists()
