"""Only pages of this site may open the demo socket: the Origin must be an allowed host."""

import pytest
from channels.testing import WebsocketCommunicator

from tutorialsite.asgi import application

pytestmark = pytest.mark.django_db(transaction=True)


async def opens(origin: bytes | None) -> bool:
    headers = [(b"host", b"127.0.0.1")]
    if origin is not None:
        headers.append((b"origin", origin))
    ws = WebsocketCommunicator(application, "/ws/demos/", headers=headers)
    connected, _ = await ws.connect()
    if connected:
        await ws.disconnect()
    return connected


@pytest.mark.parametrize(
    "origin", [b"http://127.0.0.1:8000", b"https://localhost", b"http://[::1]:8000"]
)
async def test_a_page_of_an_allowed_host_may_open_the_socket(origin):
    assert await opens(origin)


@pytest.mark.parametrize(
    "origin",
    [
        b"http://evil.example",
        b"http://127.0.0.1.evil.example",
        b"http://localhost.evil.example:8000",
        b"null",  # sandboxed frames and file:// pages
        b"",
        None,  # no Origin at all: not a browser page of ours
    ],
)
async def test_any_other_origin_is_refused(origin):
    assert not await opens(origin)
