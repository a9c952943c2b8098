"""Reader-facing pages. Async views on the async ORM; reads live in selectors."""

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.module_loading import import_string
from django.views.decorators.http import require_safe

from demos.catalog import catalog
from lessons import selectors
from lessons.models import Lesson
from lessons.page_freshness import reader_page


async def _is_staff(request: HttpRequest) -> bool:
    # request.user would load the user with a sync query; auser() is the async way.
    # Templates read request.user (the auth context processor), so it is set to
    # the loaded user here, before any template touches it.
    user = await request.auser()
    request.user = user
    return user.is_active and user.is_staff


async def _added_by_other_apps(lesson: Lesson) -> dict:
    """Context that apps above this one add to a lesson page (settings.LESSON_PAGE_CONTEXT).

    The live app's "Runs so far", for one: this app never imports it.
    """
    context: dict = {}
    for path in settings.LESSON_PAGE_CONTEXT:
        context.update(await import_string(path)(lesson=lesson))
    return context


@require_safe
@reader_page
async def course_list(request: HttpRequest) -> HttpResponse:
    await _is_staff(request)  # loads the user for the header's staff link
    courses = await selectors.course_list()
    return render(request, "lessons/course_list.html", {"courses": courses})


@require_safe
@reader_page
async def course_detail(request: HttpRequest, course: str) -> HttpResponse:
    found = await selectors.course_get(slug=course)
    lessons = await selectors.lesson_list(course=found, is_staff=await _is_staff(request))
    return render(request, "lessons/course_detail.html", {"course": found, "lessons": lessons})


@require_safe
@reader_page
async def lesson_detail(request: HttpRequest, course: str, lesson: str) -> HttpResponse:
    found = await selectors.course_get(slug=course)
    page = await selectors.lesson_page(course=found, slug=lesson, is_staff=await _is_staff(request))
    context = {"course": found, "page": page, "lesson": page.lesson}
    context.update(await _added_by_other_apps(page.lesson))
    return render(request, "lessons/lesson_detail.html", context)


@require_safe
async def demo_catalog(request: HttpRequest) -> JsonResponse:
    return JsonResponse(catalog())
