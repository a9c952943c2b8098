"""Events reach the reader one frame each, in order, even when the server's send has to wait."""

import asyncio
import json

import pytest
from channels.testing import WebsocketCommunicator

from tests.sockets import HEADERS
from tutorialsite.asgi import application

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("fresh_runtime")]


def slow_sends(app, pause: float):
    """The application behind a server whose every frame takes ``pause`` to go out."""

    async def wrapped(scope, receive, send):
        async def slow(message):
            if message["type"] == "websocket.send":
                await asyncio.sleep(pause)
            await send(message)

        await app(scope, receive, slow)

    return wrapped


async def test_events_keep_their_order_when_sends_wait():
    ws = WebsocketCommunicator(slow_sends(application, 0.005), "/ws/demos/", headers=HEADERS)
    assert (await ws.connect())[0]
    frame = {"type": "run", "id": "r", "demo": "sleep", "mode": "async"}
    await ws.send_to(text_data=json.dumps({**frame, "params": {"tasks": 5, "seconds": 0.05}}))

    events = []
    while (event := await ws.receive_json_from(timeout=5))["type"] != "finished":
        events.append(event)

    kinds = [e["type"] for e in events]
    assert kinds[0] == "accepted"
    assert kinds.count("task_started") == kinds.count("task_finished") == 5
    times = [e["t"] for e in events if "t" in e]
    assert times == sorted(times)  # sent in the order they happened
    await ws.disconnect()


async def test_disconnect_waits_until_queued_events_are_handed_over():
    sent = []

    def recording(app):
        async def wrapped(scope, receive, send):
            async def record(message):
                await asyncio.sleep(0.01)
                if message["type"] == "websocket.send":
                    sent.append(json.loads(message["text"])["type"])
                await send(message)

            await app(scope, receive, record)

        return wrapped

    ws = WebsocketCommunicator(recording(application), "/ws/demos/", headers=HEADERS)
    assert (await ws.connect())[0]
    frame = {"type": "run", "id": "r", "demo": "sleep", "mode": "async"}
    await ws.send_to(text_data=json.dumps({**frame, "params": {"tasks": 3, "seconds": 2}}))
    await asyncio.sleep(0.1)

    await ws.disconnect()  # cancels the run; its last events must still be handed over

    assert sent[0] == "accepted"
    assert sent[-1] == "finished"
