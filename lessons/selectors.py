"""Reads for the lesson pages, all through the async ORM."""

from dataclasses import dataclass

from django.http import Http404

from lessons.models import Course, Lesson


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


async def lesson_is_visible(*, lesson_id: int, is_staff: bool) -> bool:
    return await Lesson.objects.visible_to(is_staff=is_staff).filter(pk=lesson_id).aexists()
