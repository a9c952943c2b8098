"""Reads of the exercises a run is graded against, from the saved lesson."""

from typing import Any

from exercises.blocks import Goal
from lessons.models import Lesson


async def exercise_goals(*, lesson_id: int, index: int, is_staff: bool) -> list[Goal] | None:
    """The goals of the lesson's exercise ``index`` (from 0), or None when there is no such
    exercise the reader may see (no such lesson, a draft, or fewer exercises)."""
    lessons = Lesson.objects.visible_to(is_staff=is_staff).filter(pk=lesson_id)
    stored: list[Any] | None = await lessons.values_list("exercises", flat=True).afirst()
    if not isinstance(stored, list) or not 0 <= index < len(stored):
        return None
    return [Goal(goal["kind"], goal["limit"]) for goal in stored[index]["goals"]]
