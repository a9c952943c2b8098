"""Start a server as a child process, wait until it answers over HTTP, and stop it.

One way for everything that starts servers: ``manage.py serve``, the local
cluster behind nginx (tutorialsite.cluster), the end-to-end tests and the
benchmarks. A server answers at a TCP URL, or at a unix socket path (the
cluster's daphne processes listen on those, as in production).
"""

import http.client
import signal
import socket
import subprocess
import time
from collections.abc import Sequence
from pathlib import Path
from urllib.parse import urlsplit

START_SECONDS = 30.0
STOP_GRACE_SECONDS = 10.0
# Each try at the address; a server still starting may accept and answer late.
REQUEST_SECONDS = 2.0


class StartFailed(RuntimeError):
    """A child exited, or did not answer in time, before it answered."""


def start(
    command: Sequence[str],
    url: str,
    *,
    unix_socket: Path | str | None = None,
    name: str | None = None,
    timeout: float = START_SECONDS,
    **popen,
) -> subprocess.Popen:
    """Run ``command`` and return it once it answers at ``url`` (see ``wait_until_answers``).

    ``popen`` goes to ``subprocess.Popen`` (cwd, env, stdout...). If the child
    does not answer, it is stopped and ``StartFailed`` says why.
    """
    child = subprocess.Popen(command, **popen)
    try:
        wait_until_answers(child, url, unix_socket=unix_socket, name=name, timeout=timeout)
    except BaseException:
        stop(child)
        raise
    return child


def wait_until_answers(
    child: subprocess.Popen,
    url: str,
    *,
    unix_socket: Path | str | None = None,
    name: str | None = None,
    timeout: float = START_SECONDS,
) -> None:
    """Return once ``url`` answers a GET with any status below 500.

    With ``unix_socket``, the request for ``url`` goes over that socket (as
    ``curl --unix-socket`` does). A 5xx is not an answer yet: nginx says 502
    while the process behind it starts. Raises ``StartFailed`` if the child
    exits first, or kills the child and raises it after ``timeout`` seconds.
    """
    name = name or Path(child.args[0]).name
    where = f"{url} over {unix_socket}" if unix_socket else url
    deadline = time.monotonic() + timeout
    while True:
        if child.poll() is not None:
            raise StartFailed(
                f"{name} exited with code {child.returncode} before answering at {where}"
            )
        status = status_of(url, unix_socket=unix_socket)
        if status is not None and status < 500:
            return
        if time.monotonic() >= deadline:
            child.kill()
            child.wait()
            last = f" (its last answer: HTTP {status})" if status else ""
            raise StartFailed(
                f"{name} did not answer at {where} within {timeout:g} s{last}; killed it"
            )
        time.sleep(0.1)


def answers(url: str, *, unix_socket: Path | str | None = None) -> bool:
    """Whether a GET of ``url`` (over ``unix_socket`` if given) has an answer below 500."""
    status = status_of(url, unix_socket=unix_socket)
    return status is not None and status < 500


def status_of(url: str, *, unix_socket: Path | str | None = None) -> int | None:
    """The HTTP status of a GET of ``url`` (over ``unix_socket`` if given); None if no answer."""
    parts = urlsplit(url)
    if unix_socket is None:
        connection = http.client.HTTPConnection(parts.netloc, timeout=REQUEST_SECONDS)
    else:
        connection = UnixHTTPConnection(unix_socket, parts.netloc, timeout=REQUEST_SECONDS)
    try:
        connection.request("GET", parts.path or "/")
        return connection.getresponse().status
    except (OSError, http.client.HTTPException):
        return None
    finally:
        connection.close()


class UnixHTTPConnection(http.client.HTTPConnection):
    """HTTP over a unix socket; ``host`` is only what the Host header says."""

    def __init__(self, unix_socket: Path | str, host: str, timeout: float) -> None:
        super().__init__(host, timeout=timeout)
        self.unix_socket = str(unix_socket)

    def connect(self) -> None:
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(self.timeout)
        self.sock.connect(self.unix_socket)


def stop(*children: subprocess.Popen, grace: float = STOP_GRACE_SECONDS) -> None:
    """SIGTERM every child still running, wait for them all, and kill any left after ``grace``.

    All are signalled first, so they shut down side by side within one grace period.
    """
    for child in children:
        if child.poll() is None:
            child.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + grace
    for child in children:
        try:
            child.wait(timeout=max(0.0, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()
