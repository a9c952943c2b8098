"""Starting a server as a child, waiting until it answers, and stopping it.

All of it is tutorialsite.processes, which serve, the tests and the bench share.
"""

import signal
import subprocess
import sys
import textwrap

import pytest

from tests.servers import free_port
from tutorialsite.processes import StartFailed, answers, start, stop, wait_until_answers

pytestmark = pytest.mark.slow

# A server that starts listening only once the file named by argv[2] exists, on a
# TCP port (argv[1] a number) or a unix socket (argv[1] a path), and answers every
# GET with the status argv[3] (200 if not given).
LATE_SERVER = textwrap.dedent(
    """
    import http.server, os, socketserver, sys, time
    where, go, status = sys.argv[1], sys.argv[2], int((sys.argv[3:] or [200])[0])
    while not os.path.exists(go):
        time.sleep(0.05)

    class Hello(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(status)
            self.end_headers()
            self.wfile.write(b"hello")

        def address_string(self):
            return "local"

    if where.isdigit():
        server = http.server.HTTPServer(("127.0.0.1", int(where)), Hello)
    else:
        server = socketserver.UnixStreamServer(where, Hello)
    server.serve_forever()
    """
)

# Says "ready" once it ignores SIGTERM, then waits to be killed.
STUBBORN = (
    "import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); "
    "print('ready', flush=True); time.sleep(600)"
)


def late_server(where: str, go, status: int = 200) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-c", LATE_SERVER, where, str(go), str(status)])


def test_waiting_returns_only_once_a_tcp_server_answers(tmp_path):
    port = free_port()
    url = f"http://127.0.0.1:{port}/"
    go = tmp_path / "go"
    child = late_server(str(port), go)
    try:
        assert not answers(url)
        go.touch()
        wait_until_answers(child, url, name="the late server")
        assert answers(url)
    finally:
        stop(child)


def test_start_returns_a_child_answering_on_its_unix_socket(tmp_path):
    path = tmp_path / "server.sock"
    (tmp_path / "go").touch()
    child = start(
        [sys.executable, "-c", LATE_SERVER, str(path), str(tmp_path / "go")],
        "http://localhost/",
        unix_socket=path,
    )
    try:
        assert answers("http://localhost/", unix_socket=path)
        assert not answers("http://localhost/", unix_socket=tmp_path / "elsewhere.sock")
    finally:
        stop(child)


def test_a_child_that_exits_before_answering_fails_the_start_with_its_code():
    with pytest.raises(StartFailed, match="the quitter exited with code 3 before answering"):
        start(
            [sys.executable, "-c", "raise SystemExit(3)"],
            f"http://127.0.0.1:{free_port()}/",
            name="the quitter",
        )


def test_a_child_that_never_answers_is_killed_and_fails_the_start(tmp_path):
    port = free_port()
    child = late_server(str(port), tmp_path / "never")
    with pytest.raises(StartFailed, match=r"the silent one did not answer .* within 1 s; killed"):
        wait_until_answers(child, f"http://127.0.0.1:{port}/", name="the silent one", timeout=1)
    assert child.returncode == -signal.SIGKILL


def test_a_child_answering_only_server_errors_has_not_started_and_the_failure_says_so(tmp_path):
    port = free_port()
    (tmp_path / "go").touch()
    child = late_server(str(port), tmp_path / "go", status=502)
    with pytest.raises(StartFailed, match=r"within 5 s \(its last answer: HTTP 502\); killed"):
        wait_until_answers(child, f"http://127.0.0.1:{port}/", name="the failing one", timeout=5)
    assert child.returncode == -signal.SIGKILL


def test_stop_ends_children_with_sigterm_and_kills_one_that_ignores_it(tmp_path):
    (tmp_path / "go").touch()
    polite = late_server(str(free_port()), tmp_path / "go")
    stubborn = subprocess.Popen([sys.executable, "-c", STUBBORN], stdout=subprocess.PIPE, text=True)
    assert stubborn.stdout.readline() == "ready\n"
    stop(polite, stubborn, grace=3)
    assert polite.returncode == -signal.SIGTERM
    assert stubborn.returncode == -signal.SIGKILL
    stubborn.stdout.close()
