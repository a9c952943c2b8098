"""The page of a shared run (live.sharing): read without JavaScript, replayed with it."""

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.http import require_safe

from lessons.models import Lesson
from live import replay, sharing
from live.models import DemoRun


@require_safe
async def shared_run(request: HttpRequest, token: str) -> HttpResponse:
    run = await sharing.shared_run(token=token)
    if run is None:
        return _missing(request)
    lesson = await _lesson_to_run_again(run)
    context = {"run": run, "replay": replay.replay_of(run, lesson=lesson)}
    response = render(request, "live/shared_run.html", context)
    # A reader's program is shown to whoever holds the link, never to search engines.
    response["X-Robots-Tag"] = "noindex, nofollow"
    return response


@require_safe
async def shared_program(request: HttpRequest, token: str) -> HttpResponse:
    """A shared reader's program, for the editor of its demo ("open in the editor")."""
    run = await sharing.shared_run(token=token)
    if run is None or not run.code:
        return JsonResponse({"error": "no shared program here"}, status=404)
    response = JsonResponse({"demo": run.demo, "mode": run.mode, "code": run.code})
    response["X-Robots-Tag"] = "noindex, nofollow"
    return response


def _missing(request: HttpRequest) -> HttpResponse:
    response = render(request, "live/shared_run_missing.html", status=404)
    response["X-Robots-Tag"] = "noindex, nofollow"
    return response


async def _lesson_to_run_again(run: DemoRun) -> Lesson | None:
    """The lesson it was shared from, if still published; else a published one with its demo."""
    lesson = run.lesson
    if lesson is not None and lesson.is_published and run.demo in lesson.demo_names:
        return lesson
    async for candidate in Lesson.objects.published().select_related("course").order_by("pk"):
        if run.demo in candidate.demo_names:
            return candidate
    return None
