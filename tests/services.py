"""PostgreSQL, Redis and nginx for tests: reach them, or skip with a reason (fail on CI).

Tests that need a real service call ``postgres_url()``, ``redis_url()`` or ``nginx_binary()``.
Elsewhere a missing service skips the test and says how to start it; on CI
(``CI`` set) it fails the test, so a CI run never passes by skipping them.
"""

import os
import shutil
import socket
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import urlsplit

import pytest

from tutorialsite.cluster import ClusterError, find_nginx

POSTGRES_URL = os.environ.get("TEST_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/test")
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0")

_START = {
    "PostgreSQL": "pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start",
    "Redis": "redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save ''",
    "redis-server": "apt-get install redis-server",
    "Chromium": "apt-get install chromium, or set CHROMIUM_PATH",
    "nginx": "make nginx, or apt-get install nginx",
    "bubblewrap": "make bubblewrap, or apt-get install bubblewrap",
}


def unavailable(service: str, why: str) -> None:
    """Skip the calling test, or fail it on CI."""
    message = f"{service} is needed and {why} (start it with: {_START[service]})"
    if os.environ.get("CI"):
        pytest.fail(f"on CI, {message}", pytrace=False)
    pytest.skip(message)


def bwrap_binary() -> str:
    """bubblewrap, which runs readers' programs (sandbox/)."""
    found = shutil.which("bwrap")
    if found is None:
        unavailable("bubblewrap", "bwrap is not on the PATH")
    return found


def reachable(url: str, timeout: float = 1.0) -> bool:
    parts = urlsplit(url)
    try:
        with socket.create_connection((parts.hostname, parts.port), timeout=timeout):
            return True
    except OSError:
        return False


def postgres_url() -> str:
    """The maintenance database's URL; PostgreSQL answers there."""
    if not reachable(POSTGRES_URL):
        unavailable("PostgreSQL", f"nothing answers at {POSTGRES_URL}")
    return POSTGRES_URL


def redis_url(db: int | None = None) -> str:
    """The URL of Redis, on database ``db`` when given; Redis answers there."""
    if not reachable(REDIS_URL):
        unavailable("Redis", f"nothing answers at {REDIS_URL}")
    if db is None:
        return REDIS_URL
    parts = urlsplit(REDIS_URL)
    return parts._replace(path=f"/{db}").geturl()


def redis_flush(url: str) -> None:
    """Empty the Redis database of ``url`` (tests own their database number)."""
    import redis

    client = redis.Redis.from_url(url, socket_connect_timeout=2, socket_timeout=5)
    try:
        client.flushdb()
    finally:
        client.close()


def redis_server_binary() -> str:
    path = shutil.which("redis-server")
    if path is None:
        unavailable("redis-server", "the redis-server program is not installed")
    return path


def nginx_binary() -> str:
    """nginx, for the local cluster behind it (tutorialsite.cluster)."""
    try:
        return find_nginx()
    except ClusterError:
        unavailable("nginx", "the nginx program is not installed")


@contextmanager
def postgres_database(prefix: str) -> Iterator[str]:
    """A new, empty PostgreSQL database for one test; dropped afterwards. Yields its URL."""
    import psycopg

    admin = postgres_url()
    name = f"{prefix}_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(admin, autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')
    try:
        yield urlsplit(admin)._replace(path=f"/{name}").geturl()
    finally:
        with psycopg.connect(admin, autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
