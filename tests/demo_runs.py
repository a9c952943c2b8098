"""One demo run over the site's websocket, in process, and what to read in its events.

The demo tests each run a variant and look at what it printed (``lines``) and
how each of its tasks ended (``ends``).
"""

import contextlib
import json
from collections.abc import AsyncIterator

from aiohttp.test_utils import TestServer
from channels.testing import WebsocketCommunicator

from tests.sockets import HEADERS
from tutorialsite.asgi import application
from weathersim.app import make_app


async def run_demo(
    demo: str, mode: str, params: dict | None = None, *, trace: bool = False, within: float = 5
) -> tuple[dict, list[dict]]:
    """The run's last message (``finished`` or ``error``) and every message before it."""
    ws = WebsocketCommunicator(application, "/ws/demos/", headers=HEADERS)
    assert (await ws.connect())[0]
    frame = {"type": "run", "id": "d", "demo": demo, "mode": mode, "params": params or {},
             "trace": trace}  # fmt: skip
    await ws.send_to(text_data=json.dumps(frame))
    events = []
    while (event := await ws.receive_json_from(timeout=within))["type"] not in {
        "finished",
        "error",
    }:
        events.append(event)
    await ws.disconnect()
    return event, events


def lines(events: list[dict]) -> list[str]:
    """What the run printed, in order."""
    return [event["text"] for event in events if event["type"] == "output"]


def ends(events: list[dict]) -> dict[int, dict]:
    """Each task's ``task_finished`` event, by task."""
    return {event["task"]: event for event in events if event["type"] == "task_finished"}


@contextlib.asynccontextmanager
async def simulator_for(
    settings, *, latency_scale: float, request_timeout: float
) -> AsyncIterator[TestServer]:
    """The weather simulator in this process, ``latency_scale`` times as slow as its
    own figures, set as the demos' service with ``request_timeout`` seconds a request."""
    server = TestServer(make_app(latency_scale=latency_scale))
    await server.start_server()
    settings.WEATHER_API_URL = str(server.make_url("/services/json/"))
    settings.WEATHER_TIMEOUT = request_timeout
    try:
        yield server
    finally:
        await server.close()
