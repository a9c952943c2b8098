"""Reads for a lesson's history in the admin: what changed between two versions,
and how a bundled lesson stands against its file."""

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.conf import settings

from lessons import content_loader
from lessons.content_loader import ContentError, LoadOutcome
from lessons.diffs import LineDiff, line_diff
from lessons.models import Course, Lesson

# The fields besides the body whose changes the history lists, in the form's order.
COMPARED_FIELDS = ("course", "title", "slug", "summary", "status", "position")


@dataclass(frozen=True)
class FieldChange:
    label: str
    old: str
    new: str


@dataclass(frozen=True)
class Comparison:
    fields: list[FieldChange]
    body: LineDiff

    @property
    def changed(self) -> bool:
        return bool(self.fields) or self.body.changed


def compare(old: Any, new: Any, fields: tuple[str, ...] = COMPARED_FIELDS) -> Comparison:
    """What changed from ``old`` to ``new``: lessons, their history records, or files."""
    changes = []
    for name in fields:
        before, after = _shown(old, name), _shown(new, name)
        if before != after:
            label = Lesson._meta.get_field(name).verbose_name.capitalize()
            changes.append(FieldChange(label, before, after))
    return Comparison(changes, line_diff(old.body, new.body))


def _shown(obj: Any, name: str) -> str:
    if name == "course":
        return _course_shown(obj)
    value = getattr(obj, name)
    if name == "status":
        return str(Lesson.Status(value).label)
    return str(value)


def _course_shown(obj: Any) -> str:
    # An old version may name a course deleted since (once its lessons moved):
    # its history keeps the id, without a constraint.
    try:
        course = obj.course
    except Course.DoesNotExist:
        course = None
    return str(course) if course is not None else f"a deleted course (id {obj.course_id})"


@dataclass(frozen=True)
class Version:
    """One saved version of a lesson, numbered from 1 in the order they were saved."""

    history_id: int
    number: int
    label: str


def versions(lesson_id: int) -> list[Version]:
    """Every version of a lesson, oldest first, each with a label for a select."""
    rows = (
        Lesson.history.filter(id=lesson_id)
        .order_by("history_date", "history_id")
        .values_list("history_id", "history_date", "history_user__username", "history_type")
        .iterator()
    )
    kinds = {"+": "created", "~": "changed", "-": "deleted"}
    found = []
    for number, (history_id, date, user, kind) in enumerate(rows, start=1):
        when = date.strftime("%Y-%m-%d %H:%M:%S")
        label = f"Version {number}: {kinds.get(kind, kind)} {when} UTC by {user or 'a script'}"
        found.append(Version(history_id, number, label))
    return found


# ---------------------------------------------------------------------------
# Bundled lessons

OUTCOME_TEXT = {
    content_loader.KEPT_STAFF: (
        "Staff have saved it here, so manage.py load_lessons keeps this version and no "
        "longer updates it from the file."
    ),
    content_loader.KEPT_CHANGED: (
        "It was changed outside the admin since it was loaded, so manage.py load_lessons "
        "keeps this version and no longer updates it from the file."
    ),
    content_loader.KEPT_NOT_LOADED: (
        "It was never loaded from the file, so manage.py load_lessons keeps this version "
        "and does not update it from the file."
    ),
}
UPDATES_TEXT = (
    "It is as manage.py load_lessons left it, and the file has changed since: the next "
    "load_lessons replaces it with the file's version."
)
SAME_TEXT = (
    "It is the same as the file. manage.py load_lessons updates it when the file changes, "
    "until someone saves it here."
)


@dataclass(frozen=True)
class BundledStatus:
    path: str  # from the project's root, as staff find it in the repository
    outcome_text: str
    # The file against the lesson (None when the file cannot be read).
    comparison: Comparison | None = None
    error: str = ""


def bundled_status(lesson: Lesson, root: Path = content_loader.CONTENT_DIR) -> BundledStatus | None:
    """Where a bundled lesson comes from, and what the next load_lessons does to it."""
    path = content_loader.lesson_file(lesson.course.slug, lesson.slug, root)
    if path is None:
        return None
    shown = _project_path(path)
    try:
        source = content_loader.read_lesson_file(path)
    except (ContentError, OSError, UnicodeDecodeError) as exc:
        return BundledStatus(
            shown, "manage.py load_lessons refuses the file as it is.", error=str(exc)
        )
    outcome: LoadOutcome = content_loader.next_load(lesson, source)
    if outcome.kept_because:
        text = OUTCOME_TEXT[outcome.kept_because]
    else:
        text = UPDATES_TEXT if outcome.updates else SAME_TEXT
    loaded = tuple(name for name in content_loader.LOADED_FIELDS if name != "body")
    return BundledStatus(shown, text, compare(source, lesson, loaded))


def _project_path(path: Path) -> str:
    try:
        return str(path.relative_to(settings.BASE_DIR))
    except ValueError:
        return path.name
