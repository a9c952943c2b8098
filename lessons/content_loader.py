"""Bundled lessons: Markdown files with front matter, loaded into the database.

Layout: ``content/<course-slug>/_course.md`` describes a course;
``content/<course-slug>/<nn>-<lesson-slug>.md`` are its lessons, ordered by nn.
Loading creates what is missing and refreshes bundled lessons from their files,
but never touches a lesson that someone changed since it was loaded: in the
admin, from a shell, a script or a data migration.
"""

import hashlib
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from django.db import transaction

from lessons import plain_yaml
from lessons.models import Course, Lesson
from lessons.rendering import RENDERER_VERSION, BodyError, render_markdown

CONTENT_DIR = Path(__file__).resolve().parent / "content"
LESSON_FILE = re.compile(r"\A(\d+)-([a-z0-9-]+)\.md\Z")
FRONT_MATTER = re.compile(r"\A---\n(.*?)\n---\n?(.*)\Z", re.DOTALL)
# What a lesson file sets; their hash, in Lesson.loaded_hash, is what was last loaded.
# Changing this list changes every hash: a migration must then record them again
# (as lessons/migrations/0005 did).
LOADED_FIELDS = ("title", "summary", "body", "position", "status")

KEPT_STAFF = "edited by staff"
KEPT_CHANGED = "changed since it was loaded"
KEPT_NOT_LOADED = "never loaded from its file"


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
    # Left as they are, each with why: (name, one of the KEPT_ reasons).
    kept: list[tuple[str, str]] = field(default_factory=list)
    rerendered: int = 0
    # Stored lessons the current renderer refuses: (name, why). They keep their HTML.
    not_rerendered: list[tuple[str, str]] = field(default_factory=list)


def loaded_hash(values: dict[str, Any]) -> str:
    """SHA-256 of the LOADED_FIELDS in ``values``, as stored in Lesson.loaded_hash."""
    canonical = json.dumps([values[name] for name in LOADED_FIELDS], ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


def _split(path: Path) -> tuple[dict[str, Any], str]:
    match = FRONT_MATTER.match(path.read_text(encoding="utf-8"))
    if not match:
        raise ContentError(f"{path.name}: no front matter between --- lines")
    try:
        meta = plain_yaml.load(match.group(1)) or {}
    except plain_yaml.PlainYAMLError as exc:
        raise ContentError(f"{path.name}: front matter refused: {exc}") from None
    except yaml.YAMLError as exc:
        raise ContentError(f"{path.name}: front matter is not valid YAML: {exc}") from None
    if not isinstance(meta, dict) or not meta.get("title"):
        raise ContentError(f"{path.name}: front matter needs a title")
    return meta, match.group(2).strip() + "\n"


def _read_lesson(path: Path, match: re.Match) -> LessonFile:
    lesson_meta, body = _split(path)
    status = lesson_meta.get("status", Lesson.Status.PUBLISHED)
    if status not in Lesson.Status.values:
        raise ContentError(f"{path.name}: status must be draft or published")
    return LessonFile(
        slug=match.group(2),
        position=int(match.group(1)),
        title=str(lesson_meta["title"]),
        summary=str(lesson_meta.get("summary", "")),
        status=status,
        body=body,
    )


def lesson_file(course_slug: str, slug: str, root: Path = CONTENT_DIR) -> Path | None:
    """The bundled file a lesson would be loaded from, if there is one."""
    folder = root / course_slug
    if not folder.is_dir() or course_slug.startswith("."):
        return None
    for path in sorted(folder.glob("*.md")):
        match = LESSON_FILE.fullmatch(path.name)
        if match and match.group(2) == slug:
            return path
    return None


def read_lesson_file(path: Path) -> LessonFile:
    """One bundled lesson, as load_lessons reads it (without rendering it)."""
    match = LESSON_FILE.fullmatch(path.name)
    if not match:
        raise ContentError(f"{path.name}: lesson files are named <nn>-<slug>.md")
    return _read_lesson(path, match)


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
            match = LESSON_FILE.fullmatch(path.name)
            if path.name == "_course.md":
                continue
            if not match:
                raise ContentError(f"{path.name}: lesson files are named <nn>-<slug>.md")
            lesson = _read_lesson(path, match)
            try:
                render_markdown(lesson.body)
            except BodyError as exc:
                raise ContentError(f"{folder.name}/{path.name}: {exc}") from None
            lessons.append(lesson)
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
    report.rerendered = rerender_stale_lessons(report)
    return report


def rerender_stale_lessons(report: LoadReport) -> int:
    """Render again the lessons stored by an older renderer; their text is untouched."""
    stale = Lesson.objects.exclude(rendered_with=RENDERER_VERSION).select_related("course")
    count = 0
    for lesson in stale.iterator():
        try:
            values = lesson.render()
        except BodyError as exc:
            # Saved before a limit it breaks: it keeps the HTML it has until staff edit it.
            report.not_rerendered.append((f"{lesson.course.slug}/{lesson.slug}", str(exc)))
            continue
        # A queryset update: no new version, no history entry, staff work untouched.
        Lesson.objects.filter(pk=lesson.pk).update(**values)
        count += 1
    return count


def _load_lesson(course: Course, source: LessonFile, report: LoadReport) -> None:
    name = f"{course.slug}/{source.slug}"
    wanted = {key: getattr(source, key) for key in LOADED_FIELDS}
    lesson = Lesson.objects.filter(course=course, slug=source.slug).first()
    if lesson is None:
        Lesson.objects.create(
            course=course, slug=source.slug, loaded_hash=loaded_hash(wanted), **wanted
        )
        report.created.append(name)
        return
    outcome = next_load(lesson, source)
    if outcome.kept_because:
        report.kept.append((name, outcome.kept_because))
    elif outcome.updates:
        for key, value in wanted.items():
            setattr(lesson, key, value)
        lesson.loaded_hash = loaded_hash(wanted)
        lesson.save()
        report.updated.append(name)


@dataclass(frozen=True)
class LoadOutcome:
    """What the next load_bundle does to a stored lesson from its file."""

    # One of the KEPT_ reasons when it leaves the lesson as it is for that reason.
    kept_because: str = ""
    # True when it overwrites the lesson's fields with the file's.
    updates: bool = False


def next_load(lesson: Lesson, source: LessonFile) -> LoadOutcome:
    """What loading ``source`` would do to ``lesson``; load_bundle acts on exactly this."""
    if lesson.edited_by_staff:
        return LoadOutcome(kept_because=KEPT_STAFF)
    if not lesson.loaded_hash:
        return LoadOutcome(kept_because=KEPT_NOT_LOADED)
    if loaded_hash({key: getattr(lesson, key) for key in LOADED_FIELDS}) != lesson.loaded_hash:
        # Changed by a path that leaves no mark (shell, script, data migration):
        # only the fields themselves tell, so they are compared with what was loaded.
        return LoadOutcome(kept_because=KEPT_CHANGED)
    return LoadOutcome(updates=any(getattr(lesson, k) != getattr(source, k) for k in LOADED_FIELDS))
