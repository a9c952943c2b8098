"""Reads for the reader-facing pages, all through the async ORM."""

import statistics
from dataclasses import dataclass
from typing import Any

from django.http import Http404

from lessons.models import Course, DemoRun, DemoRunTally, Lesson

# Medians come from the most recent runs only, so the page stays cheap however
# many runs pile up.
RECENT_RUNS_FOR_MEDIAN = 500


async def course_list() -> list[Course]:
    return [course async for course in Course.objects.all()]


async def course_get(*, slug: str) -> Course:
    try:
        return await Course.objects.aget(slug=slug)
    except Course.DoesNotExist:
        raise Http404("No such course") from None


async def lesson_list(*, course: Course, is_staff: bool) -> list[Lesson]:
    lessons = Lesson.objects.visible_to(is_staff=is_staff).filter(course=course)
    return [lesson async for lesson in lessons.order_by("position", "title")]


@dataclass(frozen=True)
class LessonPage:
    lesson: Lesson
    previous: Lesson | None
    next: Lesson | None


async def lesson_page(*, course: Course, slug: str, is_staff: bool) -> LessonPage:
    siblings = await lesson_list(course=course, is_staff=is_staff)
    for index, lesson in enumerate(siblings):
        if lesson.slug == slug:
            lesson.course = course
            previous = siblings[index - 1] if index > 0 else None
            following = siblings[index + 1] if index + 1 < len(siblings) else None
            return LessonPage(lesson=lesson, previous=previous, next=following)
    raise Http404("No such lesson")


async def demo_stats(*, demos: list[str]) -> dict[str, dict[str, Any]]:
    """Per demo and mode: how many finished runs there were and their median time."""
    stats: dict[str, dict[str, Any]] = {}
    # Runs pruned from the table still count (lessons.run_pruning).
    pruned = {
        (tally.demo, tally.mode): tally.pruned_ok
        async for tally in DemoRunTally.objects.filter(demo__in=demos)
    }
    for name in dict.fromkeys(demos):
        per_mode = {}
        for mode in DemoRun.Mode.values:
            runs = DemoRun.objects.filter(demo=name, mode=mode, status=DemoRun.Status.OK)
            count = await runs.acount() + pruned.get((name, mode), 0)
            recent = [
                elapsed
                async for elapsed in runs.order_by("-created_at").values_list("elapsed", flat=True)[
                    :RECENT_RUNS_FOR_MEDIAN
                ]
            ]
            per_mode[mode] = {
                "count": count,
                "median": statistics.median(recent) if recent else None,
            }
        stats[name] = per_mode
    return stats


async def lesson_is_visible(*, lesson_id: int, is_staff: bool) -> bool:
    return await Lesson.objects.visible_to(is_staff=is_staff).filter(pk=lesson_id).aexists()
