"""Reader-facing pages. Async views on the async ORM; reads live in selectors."""

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.http import require_safe

from lessons import selectors
from lessons.demos.catalog import catalog
from lessons.page_cache import reader_page


async def _is_staff(request: HttpRequest) -> bool:
    # request.user would load the user with a sync query; auser() is the async way.
    # Templates read request.user (the auth context processor), so it is set to
    # the loaded user here, before any template touches it.
    user = await request.auser()
    request.user = user
    return user.is_active and user.is_staff


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
    stats = await selectors.demo_stats(demos=page.lesson.demo_names)
    return render(
        request,
        "lessons/lesson_detail.html",
        {"course": found, "page": page, "lesson": page.lesson, "demo_stats": stats},
    )


@require_safe
async def demo_catalog(request: HttpRequest) -> JsonResponse:
    return JsonResponse(catalog())
