"""The lesson admin's history: what each version changed, and the bundled file.

A mixin, kept apart from the lesson form's admin, so each can change on its own.
The views stay thin: lessons.versions computes, the templates escape every line.
"""

from django.contrib import admin
from django.contrib.admin.utils import unquote
from django.urls import reverse
from django.utils.html import format_html

from lessons import versions
from lessons.models import Lesson

NO_SUCH_VERSION = "There is no such version of this lesson: choose two versions from the lists."


class LessonHistoryAdmin:
    object_history_template = "admin/lessons/lesson/history.html"
    object_history_form_template = "admin/lessons/lesson/revert.html"
    # Each listed version is diffed against the one before: a page holds few of them.
    history_list_per_page = 20

    def history_view(self, request, object_id, extra_context=None):
        lesson = Lesson.objects.select_related("course").filter(pk=unquote(object_id)).first()
        context = {}
        if lesson is not None:
            context = self._chosen_comparison(request, lesson)
            context["bundled"] = versions.bundled_status(lesson)
        return super().history_view(request, object_id, {**context, **(extra_context or {})})

    def _chosen_comparison(self, request, lesson: Lesson) -> dict:
        """The two versions staff chose to compare (?from=&to=), if they chose.

        Without a choice the form starts on the latest change, which the list
        below already shows, so no comparison is made twice.
        """
        found = versions.versions(lesson.pk)
        context = {"versions": found, "version_error": ""}
        if len(found) < 2:
            return context
        by_id = {str(version.history_id): version for version in found}
        chosen = request.GET.get("from"), request.GET.get("to")
        valid = all(value in by_id for value in chosen)
        if any(chosen) and not valid:
            context["version_error"] = NO_SUCH_VERSION
        older, newer = (by_id[chosen[0]], by_id[chosen[1]]) if valid else (found[-2], found[-1])
        context["latest"] = found[-1]
        context["chosen"] = {
            "older": older,
            "newer": newer,
            "older_label": f"Version {older.number}",
            "newer_label": f"Version {newer.number}",
        }
        if valid:
            records = {
                record.history_id: record
                for record in lesson.history.filter(
                    history_id__in=[older.history_id, newer.history_id]
                ).select_related("course")
            }
            context["chosen"]["comparison"] = versions.compare(
                records[older.history_id], records[newer.history_id]
            )
        return context

    def set_history_delta_changes(self, request, historical_records, foreign_keys_are_objs=True):
        # Replaces simple_history's field-by-field deltas with a comparison of
        # each listed version against the one saved before it.
        records = list(historical_records)
        if not records:
            return
        found = {version.history_id: version for version in versions.versions(records[0].id)}
        for index, record in enumerate(records):
            record.saved_version = found.get(record.history_id)
            previous = records[index + 1] if index + 1 < len(records) else record.prev_record
            record.previous = previous
            record.comparison = versions.compare(previous, record) if previous else None

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        # The revert page shows what reverting would change in the current version.
        context = dict(extra_context or {})
        current = Lesson.objects.select_related("course").filter(pk=unquote(object_id)).first()
        record = Lesson.history.filter(id=unquote(object_id), history_id=version_id).first()
        if current is not None and record is not None:
            context["revert_comparison"] = versions.compare(current, record)
            numbers = {v.history_id: v.number for v in versions.versions(current.pk)}
            context["revert_number"] = numbers.get(record.history_id)
        return super().history_form_view(request, object_id, version_id, context)

    def get_fieldsets(self, request, obj=None):
        fieldsets = list(super().get_fieldsets(request, obj))
        if obj is not None and _bundled(obj) is not None:
            fieldsets.insert(0, ("Bundled file", {"fields": ["bundled_file"]}))
        return fieldsets

    def get_readonly_fields(self, request, obj=None):
        return [*super().get_readonly_fields(request, obj), "bundled_file"]

    @admin.display(description="Loaded from")
    def bundled_file(self, obj: Lesson) -> str:
        status = _bundled(obj)
        if status is None:
            return "No bundled file: this lesson exists only in the database."
        url = reverse("admin:lessons_lesson_history", args=[obj.pk]) + "#bundled-file"
        return format_html(
            '<code>{}</code>. {} <a href="{}">Compare it with the file</a>',
            status.path,
            status.outcome_text,
            url,
        )


def _bundled(obj: Lesson) -> versions.BundledStatus | None:
    # Asked several times while one form is built: read the file once.
    if not hasattr(obj, "_bundled_status"):
        # The stored lesson, not obj: the revert page hands over an old version,
        # whose state is not what the next load_lessons would find.
        stored = (
            Lesson.objects.select_related("course").filter(pk=obj.pk).first() if obj.pk else None
        )
        obj._bundled_status = versions.bundled_status(stored) if stored is not None else None
    return obj._bundled_status
