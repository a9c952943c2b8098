"""Bundled lessons: Markdown files with front matter, loaded into the database.

Layout: ``content/<course-slug>/_course.md`` describes a course;
``content/<course-slug>/<nn>-<lesson-slug>.md`` are its lessons, ordered by nn.
Loading creates what is missing and refreshes bundled lessons from their files,
but never touches a lesson that staff have edited.
"""

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from django.db import transaction

from lessons.models import Course, Lesson
from lessons.rendering import RENDERER_VERSION, DemoBlockError, render_markdown

CONTENT_DIR = Path(__file__).resolve().parent / "content"
LESSON_FILE = re.compile(r"^(\d+)-([a-z0-9-]+)\.md$")
FRONT_MATTER = re.compile(r"\A---\n(.*?)\n---\n?(.*)\Z", re.DOTALL)


class ContentError(ValueError):
    """A bundled file that cannot be loaded; the message names the file."""


@dataclass(frozen=True)
class LessonFile:
    slug: str
    position: int
    title: str
    summary: str
    status: str
    body: str


@dataclass(frozen=True)
class CourseFile:
    slug: str
    title: str
    summary: str
    position: int
    lessons: list[LessonFile]


@dataclass
class LoadReport:
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)  # edited by staff: left alone
    rerendered: int = 0


def _split(path: Path) -> tuple[dict[str, Any], str]:
    match = FRONT_MATTER.match(path.read_text(encoding="utf-8"))
    if not match:
        raise ContentError(f"{path.name}: no front matter between --- lines")
    try:
        meta = yaml.safe_load(match.group(1)) or {}
    except yaml.YAMLError as exc:
        raise ContentError(f"{path.name}: front matter is not valid YAML: {exc}") from None
    if not isinstance(meta, dict) or not meta.get("title"):
        raise ContentError(f"{path.name}: front matter needs a title")
    return meta, match.group(2).strip() + "\n"


def read_bundle(root: Path = CONTENT_DIR) -> list[CourseFile]:
    courses = []
    for folder in sorted(p for p in root.iterdir() if p.is_dir()):
        course_path = folder / "_course.md"
        if not course_path.is_file():
            raise ContentError(f"{folder.name}/_course.md: missing")
        meta, _ = _split(course_path)
        try:
            course_position = int(meta.get("position", 0))
        except (TypeError, ValueError):
            raise ContentError(
                f"{folder.name}/_course.md: position must be a whole number"
            ) from None
        lessons = []
        for path in sorted(folder.glob("*.md")):
            match = LESSON_FILE.match(path.name)
            if path.name == "_course.md":
                continue
            if not match:
                raise ContentError(f"{path.name}: lesson files are named <nn>-<slug>.md")
            lesson_meta, body = _split(path)
            try:
                render_markdown(body)
            except DemoBlockError as exc:
                raise ContentError(f"{folder.name}/{path.name}: {exc}") from None
            status = lesson_meta.get("status", Lesson.Status.PUBLISHED)
            if status not in Lesson.Status.values:
                raise ContentError(f"{path.name}: status must be draft or published")
            lessons.append(
                LessonFile(
                    slug=match.group(2),
                    position=int(match.group(1)),
                    title=str(lesson_meta["title"]),
                    summary=str(lesson_meta.get("summary", "")),
                    status=status,
                    body=body,
                )
            )
        courses.append(
            CourseFile(
                slug=folder.name,
                title=str(meta["title"]),
                summary=str(meta.get("summary", "")),
                position=course_position,
                lessons=lessons,
            )
        )
    return courses


@transaction.atomic
def load_bundle(courses: list[CourseFile]) -> LoadReport:
    report = LoadReport()
    for course_file in courses:
        course, created = Course.objects.get_or_create(
            slug=course_file.slug,
            defaults={
                "title": course_file.title,
                "summary": course_file.summary,
                "position": course_file.position,
            },
        )
        if created:
            report.created.append(course_file.slug)
        for lesson_file in course_file.lessons:
            _load_lesson(course, lesson_file, report)
    report.rerendered = rerender_stale_lessons()
    return report


def rerender_stale_lessons() -> int:
    """Render again the lessons stored by an older renderer; their text is untouched."""
    stale = Lesson.objects.exclude(rendered_with=RENDERER_VERSION)
    count = 0
    for lesson in stale.iterator():
        lesson.render()
        # A queryset update: no new version, no history entry, staff work untouched.
        Lesson.objects.filter(pk=lesson.pk).update(
            body_html=lesson.body_html,
            toc=lesson.toc,
            reading_minutes=lesson.reading_minutes,
            demo_names=lesson.demo_names,
            rendered_with=lesson.rendered_with,
        )
        count += 1
    return count


def _load_lesson(course: Course, source: LessonFile, report: LoadReport) -> None:
    name = f"{course.slug}/{source.slug}"
    wanted = {
        "title": source.title,
        "summary": source.summary,
        "body": source.body,
        "position": source.position,
        "status": source.status,
    }
    lesson = Lesson.objects.filter(course=course, slug=source.slug).first()
    if lesson is None:
        Lesson.objects.create(course=course, slug=source.slug, **wanted)
        report.created.append(name)
    elif lesson.edited_by_staff:
        report.kept.append(name)
    elif any(getattr(lesson, key) != value for key, value in wanted.items()):
        for key, value in wanted.items():
            setattr(lesson, key, value)
        lesson.save()
        report.updated.append(name)
