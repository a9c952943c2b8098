"""Live lesson updates: a reader watching a lesson hears when staff save it.

Through the configured channel layer: in memory by default, Redis when
REDIS_URL is set (CI runs the suite both ways). Across processes in
test_multi_process.py.
"""

import json

import pytest
from channels.db import database_sync_to_async
from channels.layers import get_channel_layer
from channels.testing import WebsocketCommunicator

from lessons import services
from lessons.models import Lesson
from tests.sockets import HEADERS
from tutorialsite.asgi import application

pytestmark = pytest.mark.django_db(transaction=True)


async def connect(session: str | None = None) -> WebsocketCommunicator:
    headers = list(HEADERS)
    if session:
        headers.append((b"cookie", f"sessionid={session}".encode()))
    communicator = WebsocketCommunicator(application, "/ws/demos/", headers=headers)
    assert (await communicator.connect())[0]
    return communicator


async def watch(ws: WebsocketCommunicator, lesson) -> dict:
    await ws.send_to(text_data=json.dumps({"type": "watch", "lesson": lesson}))
    return await ws.receive_json_from(timeout=3)


@database_sync_to_async
def stored(lesson: Lesson) -> Lesson:
    # Not the async ORM: this hands the connection back, so the test database
    # can be dropped at the end even on PostgreSQL.
    return Lesson.objects.get(pk=lesson.pk)


def change_form(lesson: Lesson, **changes) -> dict:
    """The admin form as an editor submits it, opened at the lesson's current version."""
    data = {
        "course": lesson.course_id,
        "title": lesson.title,
        "slug": lesson.slug,
        "summary": lesson.summary,
        "body": lesson.body,
        "position": lesson.position,
        "status": lesson.status,
        "opened_version": lesson.version,
    }
    return {**data, **changes}


async def test_a_reader_watching_a_lesson_hears_when_staff_save_it(lessons, editor_async_client):
    reader = await connect()
    assert await watch(reader, lessons.intro.pk) == {"type": "watching", "lesson": lessons.intro.pk}
    url = f"/admin/lessons/lesson/{lessons.intro.pk}/change/"
    response = await editor_async_client.post(url, change_form(lessons.intro, title="Why wait?"))
    assert response.status_code == 302
    saved = await stored(lessons.intro)
    assert await reader.receive_json_from(timeout=3) == {
        "type": "lesson_updated",
        "lesson": lessons.intro.pk,
        "version": saved.version,
        "title": "Why wait?",
    }
    assert saved.version == lessons.intro.version + 1
    await reader.disconnect()


async def test_reverting_from_the_history_tells_readers_too(lessons, editor_async_client):
    url = f"/admin/lessons/lesson/{lessons.intro.pk}/change/"
    await editor_async_client.post(url, change_form(lessons.intro, title="Renamed"))
    edited = await stored(lessons.intro)
    original = await Lesson.history.filter(id=lessons.intro.pk).order_by("history_id").afirst()
    reader = await connect()
    await watch(reader, lessons.intro.pk)
    revert = f"/admin/lessons/lesson/{lessons.intro.pk}/history/{original.history_id}/"
    response = await editor_async_client.post(
        revert, change_form(lessons.intro, opened_version=edited.version)
    )
    assert response.status_code == 302
    update = await reader.receive_json_from(timeout=3)
    assert update["type"] == "lesson_updated"
    assert update["title"] == "Introduction"
    assert update["version"] == edited.version + 1
    await reader.disconnect()


async def test_a_reader_of_another_lesson_hears_nothing(lessons, editor_async_client):
    reader = await connect()
    await watch(reader, lessons.outro.pk)
    url = f"/admin/lessons/lesson/{lessons.intro.pk}/change/"
    await editor_async_client.post(url, change_form(lessons.intro, title="Elsewhere"))
    assert await reader.receive_nothing(timeout=0.5)
    await reader.disconnect()


@pytest.mark.parametrize("lesson", ["1", True, 0, -1, 1.5, None, [1], 2**63, "lesson-1"])
async def test_watch_takes_only_a_lesson_id(lessons, lesson):
    ws = await connect()
    error = await watch(ws, lesson)
    assert error["type"] == "error"
    assert error["code"] == "bad_message"
    assert '"lesson"' in error["message"]
    assert (await watch(ws, lessons.intro.pk))["type"] == "watching"  # still usable
    await ws.disconnect()


async def test_a_draft_can_be_watched_by_staff_only(lessons, editor_client):
    reader = await connect()
    assert await watch(reader, lessons.draft.pk) == {
        "type": "error",
        "code": "unknown_lesson",
        "message": f"there is no lesson {lessons.draft.pk} to watch",
    }
    staff = await connect(session=editor_client.cookies["sessionid"].value)
    assert (await watch(staff, lessons.draft.pk))["type"] == "watching"
    await reader.disconnect()
    await staff.disconnect()


async def test_a_lesson_that_does_not_exist_cannot_be_watched(lessons):
    ws = await connect()
    assert (await watch(ws, 987654))["code"] == "unknown_lesson"
    await ws.disconnect()


async def test_a_socket_watches_at_most_five_lessons_and_a_lesson_once(course):
    ids = [
        (await Lesson.objects.acreate(course=course, slug=f"l{n}", title=f"L{n}", body="x",
                                      status=Lesson.Status.PUBLISHED)).pk
        for n in range(6)
    ]  # fmt: skip
    ws = await connect()
    for lesson in ids[:5]:
        assert (await watch(ws, lesson))["type"] == "watching"
    assert (await watch(ws, ids[0]))["type"] == "watching"  # again: still five
    error = await watch(ws, ids[5])
    assert error["code"] == "watch_limit"
    assert "at most 5 lessons" in error["message"]
    await ws.disconnect()


async def test_a_socket_leaves_its_lesson_groups_when_it_closes(lessons, monkeypatch):
    layer = get_channel_layer()
    left = []
    discard = layer.group_discard

    async def spy(group, channel):
        left.append(group)
        await discard(group, channel)

    monkeypatch.setattr(layer, "group_discard", spy)
    ws = await connect()
    await watch(ws, lessons.intro.pk)
    await watch(ws, lessons.outro.pk)
    await ws.disconnect()
    assert sorted(left) == sorted([f"lesson-{lessons.intro.pk}", f"lesson-{lessons.outro.pk}"])


def test_group_names_are_made_from_integer_ids_only():
    assert services.lesson_group(42) == "lesson-42"
    for raw in ("42", "42; flushall", 4.2, True):
        with pytest.raises(TypeError):
            services.lesson_group(raw)


async def test_a_save_stands_when_readers_cannot_be_told(
    lessons, editor_async_client, monkeypatch, caplog
):
    class DownLayer:
        async def group_send(self, group, message):
            raise ConnectionError("Redis is down")

    monkeypatch.setattr(services, "get_channel_layer", DownLayer)
    url = f"/admin/lessons/lesson/{lessons.intro.pk}/change/"
    response = await editor_async_client.post(url, change_form(lessons.intro, title="Saved anyway"))
    assert response.status_code == 302
    assert (await stored(lessons.intro)).title == "Saved anyway"
    assert f"could not tell readers that lesson {lessons.intro.pk} changed" in caplog.text
