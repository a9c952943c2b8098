"""The demo socket checks the database connection only before it reads the database.

Channels closes the sync thread's stale connections before every message, a
hop to that thread and back. The demo socket does it before a ``watch``, the
one frame that reads lessons; the run writer does it around each batch.
"""

import json

import channels.consumer
import channels.generic.websocket
import pytest
from channels.testing import WebsocketCommunicator

from lessons import selectors
from lessons.models import Lesson
from live import consumers, run_writer, runtime
from live.models import DemoRun
from tests.sockets import HEADERS
from tutorialsite.asgi import application

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def checks(monkeypatch):
    """The connection checks asked for (by this consumer or by Channels for it) and the reads."""
    calls = []
    real = consumers.aclose_old_connections

    async def counting():
        calls.append("check")
        await real()

    for module in (consumers, channels.consumer, channels.generic.websocket):
        monkeypatch.setattr(module, "aclose_old_connections", counting)
    real_read = selectors.lesson_is_visible

    async def reading(**lookup):
        calls.append("read")
        return await real_read(**lookup)

    monkeypatch.setattr(selectors, "lesson_is_visible", reading)
    runtime.reset()
    yield calls
    runtime.reset()


async def test_connecting_running_and_leaving_check_no_connection(checks):
    ws = WebsocketCommunicator(application, "/ws/demos/", headers=HEADERS)
    assert (await ws.connect())[0]
    frame = {"type": "run", "id": "r", "demo": "sleep", "mode": "async"}
    await ws.send_to(text_data=json.dumps({**frame, "params": {"tasks": 2, "seconds": 0.05}}))
    while (await ws.receive_json_from(timeout=5))["type"] != "finished":
        pass
    await ws.disconnect()
    await run_writer.writer().drain()

    assert "check" not in checks
    assert await DemoRun.objects.acount() == 1  # stored all the same


async def test_a_watch_checks_the_connection_before_reading_lessons(checks, course):
    lesson = await Lesson.objects.acreate(
        course=course, slug="l", title="L", body="x", status=Lesson.Status.PUBLISHED
    )
    ws = WebsocketCommunicator(application, "/ws/demos/", headers=HEADERS)
    assert (await ws.connect())[0]

    await ws.send_to(text_data=json.dumps({"type": "watch", "lesson": lesson.pk}))

    assert await ws.receive_json_from(timeout=5) == {"type": "watching", "lesson": lesson.pk}
    assert checks == ["check", "read"]
    await ws.disconnect()
