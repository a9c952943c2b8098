"""Reads for the reader-facing pages, all through the async ORM."""

import statistics
from collections import Counter
from dataclasses import dataclass
from typing import Any

from django.db.models import Count
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
    finished = await _finished_runs(demos)
    stats: dict[str, dict[str, Any]] = {}
    for name in dict.fromkeys(demos):
        per_mode = {}
        for mode in DemoRun.Mode.values:
            runs = DemoRun.objects.filter(demo=name, mode=mode, status=DemoRun.Status.OK)
            recent = [
                elapsed
                async for elapsed in runs.order_by("-created_at").values_list("elapsed", flat=True)[
                    :RECENT_RUNS_FOR_MEDIAN
                ]
            ]
            per_mode[mode] = {
                "count": finished[(name, mode)],
                "median": statistics.median(recent) if recent else None,
            }
        stats[name] = per_mode
    return stats


async def _finished_runs(demos: list[str]) -> Counter[tuple[str, str]]:
    """Finished ("ok") runs per demo and mode: those kept and those pruned.

    Both are read in one statement, which sees the tables as they were at one
    moment. Read apart, a prune committing between the two reads (its rows
    gone from the count, not yet in the tally) would show the page too few.
    """
    kept = (
        DemoRun.objects.filter(demo__in=demos, status=DemoRun.Status.OK)
        .values_list("demo", "mode")
        .annotate(runs=Count("id"))
        .order_by()
    )
    pruned = DemoRunTally.objects.filter(demo__in=demos).values_list("demo", "mode", "pruned_ok")
    finished: Counter[tuple[str, str]] = Counter()
    # order_by(): a union would otherwise take DemoRun's default ordering, on a
    # column it does not select.
    async for demo, mode, runs in kept.union(pruned, all=True).order_by():
        finished[(demo, mode)] += runs
    return finished


async def lesson_is_visible(*, lesson_id: int, is_staff: bool) -> bool:
    return await Lesson.objects.visible_to(is_staff=is_staff).filter(pk=lesson_id).aexists()
