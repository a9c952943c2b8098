"""Only pages of this site may open the demo socket: same scheme, host and port.

A page on another port of the same host is another origin: with the host
alone compared, it could open the socket with a staff reader's cookies and
read a draft lesson's title through ``watch``.
"""

import pytest
from channels.testing import WebsocketCommunicator

from tutorialsite.asgi import application

pytestmark = pytest.mark.django_db(transaction=True)


async def opens(origin: bytes | None, host: bytes = b"127.0.0.1:8000", extra=()) -> bool:
    headers = [(b"host", host), *extra]
    if origin is not None:
        headers.append((b"origin", origin))
    ws = WebsocketCommunicator(application, "/ws/demos/", headers=headers)
    connected, _ = await ws.connect()
    if connected:
        await ws.disconnect()
    return connected


@pytest.mark.parametrize(
    ("origin", "host"),
    [
        (b"http://127.0.0.1:8000", b"127.0.0.1:8000"),
        (b"http://localhost:8000", b"localhost:8000"),
        (b"http://[::1]:8000", b"[::1]:8000"),
        (b"http://127.0.0.1", b"127.0.0.1"),
        (b"http://127.0.0.1:80", b"127.0.0.1"),  # the default port, written or not
        (b"HTTP://LOCALHOST:8000", b"localhost:8000"),
    ],
)
async def test_a_page_of_the_site_itself_may_open_the_socket(origin, host):
    assert await opens(origin, host)


@pytest.mark.parametrize(
    "origin",
    [
        b"http://127.0.0.1:9999",  # another port of the same host
        b"http://localhost:1",
        b"http://[::1]:1234",
        b"http://localhost:8000",  # another allowed host than the socket's
        b"https://127.0.0.1:8000",  # another scheme
        b"http://evil.example",
        b"http://127.0.0.1.evil.example:8000",
        b"http://127.0.0.1:8000/path",
        b"http://127.0.0.1:notaport",
        b"null",  # sandboxed frames and file:// pages
        b"",
        None,  # no Origin at all: not a browser page of ours
    ],
)
async def test_any_other_origin_is_refused(origin):
    assert not await opens(origin)


async def test_a_host_the_site_does_not_serve_is_refused_even_from_its_own_origin():
    assert not await opens(b"http://evil.example:8000", b"evil.example:8000")


async def test_a_trusted_origin_may_open_the_socket(settings):
    settings.CSRF_TRUSTED_ORIGINS = ["https://docs.example.org", "https://*.example.net"]

    assert await opens(b"https://docs.example.org")
    assert await opens(b"https://lessons.example.net")
    assert not await opens(b"http://lessons.example.net")  # not the trusted scheme
    assert not await opens(b"https://example.org")


async def test_behind_a_tls_proxy_the_page_is_https_and_plain_ws_is_refused(settings):
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    settings.SECURE_SSL_REDIRECT = True
    over_tls = [(b"x-forwarded-proto", b"https")]

    assert await opens(b"https://127.0.0.1:8000", extra=over_tls)
    assert not await opens(b"http://127.0.0.1:8000", extra=over_tls)
    assert not await opens(b"http://127.0.0.1:8000", extra=[(b"x-forwarded-proto", b"http")])
    assert not await opens(b"http://127.0.0.1:8000")  # ws:// while HTTPS is enforced
