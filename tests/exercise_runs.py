"""Helpers for the tests that run exercises: lessons holding them, and runs over the socket."""

import json
import re
from pathlib import Path

from channels.testing import WebsocketCommunicator
from markdown_it import MarkdownIt

from lessons.models import Course, Lesson
from tests.sockets import HEADERS
from tutorialsite.asgi import application

CONTENT = Path(__file__).resolve().parent.parent / "lessons" / "content"
_FRONT_MATTER = re.compile(r"\A---\n.*?\n---\n", re.DOTALL)


def exercise_fences(markdown: str) -> list[tuple[int, str]]:
    """Each fenced ``exercise`` block of a lesson: its first line's number and its text."""
    return [
        (token.map[0] + 1, token.content)
        for token in MarkdownIt("commonmark").parse(markdown)
        if token.type == "fence" and token.info.strip() == "exercise"
    ]


def lesson_files_with_exercises() -> list[Path]:
    return sorted(path for path in CONTENT.rglob("*.md") if "```exercise" in path.read_text())


async def lesson_with(body: str, *, slug: str = "exercises", status: str = "published") -> Lesson:
    course, _ = await Course.objects.aget_or_create(slug="practice", defaults={"title": "Practice"})
    return await Lesson.objects.acreate(
        course=course, slug=slug, title="Practice", body=_FRONT_MATTER.sub("", body), status=status
    )


def exercise_frame(lesson: int, index: int, code: str, run_id: str = "x1", **more) -> str:
    return json.dumps({"type": "run", "id": run_id, "exercise": {"lesson": lesson, "index": index},
                       "code": code, **more})  # fmt: skip


async def run_exercise(lesson: int, index: int, code: str, within: float = 30) -> list[dict]:
    """Every message of one run for an exercise, up to its ``graded`` (or an ``error``)."""
    ws = WebsocketCommunicator(application, "/ws/demos/", headers=HEADERS)
    assert (await ws.connect())[0]
    try:
        await ws.send_to(text_data=exercise_frame(lesson, index, code))
        events = []
        while True:
            events.append(event := await ws.receive_json_from(timeout=within))
            if event["type"] in {"graded", "error"}:
                return events
    finally:
        await ws.disconnect()
