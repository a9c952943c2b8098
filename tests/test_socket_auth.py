"""The demo socket's auth stack: the reader's session and user, without a wrapper on every frame."""

import pytest
from asgiref.sync import sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from channels.testing import HttpCommunicator, WebsocketCommunicator
from django.test import Client

from live.socket_auth import AuthMiddlewareStack

pytestmark = pytest.mark.django_db(transaction=True)


class WhoAmI(AsyncJsonWebsocketConsumer):
    async def connect(self) -> None:
        await self.accept()
        user = self.scope["user"]
        await self.send_json(
            {
                "user": user.get_username(),
                "staff": user.is_staff,
                "session": self.scope["session"].session_key,
            }
        )


def cookie_for(user) -> bytes:
    client = Client()
    client.force_login(user)
    return f"sessionid={client.cookies['sessionid'].value}".encode()


async def test_an_anonymous_reader_is_anonymous():
    socket = WebsocketCommunicator(AuthMiddlewareStack(WhoAmI.as_asgi()), "/ws/")
    assert (await socket.connect())[0]

    assert await socket.receive_json_from() == {"user": "", "staff": False, "session": None}
    await socket.disconnect()


async def test_a_logged_in_editor_is_known_by_their_session(editor):
    cookie = await sync_to_async(cookie_for)(editor)
    socket = WebsocketCommunicator(
        AuthMiddlewareStack(WhoAmI.as_asgi()), "/ws/", headers=[(b"cookie", cookie)]
    )
    assert (await socket.connect())[0]

    seen = await socket.receive_json_from()

    assert seen["user"] == "editor"
    assert seen["staff"] is True
    assert seen["session"] == cookie.decode().split("=", 1)[1]
    await socket.disconnect()


async def test_a_socket_sends_through_the_servers_own_send():
    handed = []

    async def inner(scope, receive, send):
        handed.append(send)
        await send({"type": "websocket.accept"})

    socket = WebsocketCommunicator(AuthMiddlewareStack(inner), "/ws/")
    assert (await socket.connect())[0]

    # Not InstanceSessionWrapper.send, which would read the session on every frame.
    assert type(getattr(handed[0], "__self__", None)).__name__ != "InstanceSessionWrapper"
    await socket.disconnect()


async def test_http_keeps_channels_session_saving():
    sends = []

    async def inner(scope, receive, send):
        sends.append(send)
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"ok"})

    response = await HttpCommunicator(AuthMiddlewareStack(inner), "GET", "/").get_response()

    assert response["status"] == 200
    assert type(sends[0].__self__).__name__ == "InstanceSessionWrapper"
