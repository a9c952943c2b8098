"""Reads of stored runs: what a lesson page shows of its demos' runs so far."""

import statistics
from collections import Counter
from typing import Any

from django.db.models import Count

from lessons.models import Lesson
from live.models import DemoRun, DemoRunTally

# Medians come from the most recent runs only, so the page stays cheap however
# many runs pile up.
RECENT_RUNS_FOR_MEDIAN = 500


async def lesson_runs_so_far(*, lesson: Lesson) -> dict[str, Any]:
    """The lesson page's "Runs so far" (settings.LESSON_PAGE_CONTEXT)."""
    return {"demo_stats": await demo_stats(demos=lesson.demo_names)}


async def demo_stats(*, demos: list[str]) -> dict[str, dict[str, Any]]:
    """Per demo and mode: how many finished runs there were and their median time."""
    finished = await _finished_runs(demos)
    stats: dict[str, dict[str, Any]] = {}
    for name in dict.fromkeys(demos):
        per_mode = {}
        for mode in DemoRun.Mode.values:
            # The demo's own program only: a reader's version is not the one the page shows.
            runs = DemoRun.objects.filter(demo=name, mode=mode, status=DemoRun.Status.OK, code="")
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
        DemoRun.objects.filter(demo__in=demos, status=DemoRun.Status.OK, code="")
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
