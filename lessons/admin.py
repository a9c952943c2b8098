from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db import router, transaction
from simple_history.admin import SimpleHistoryAdmin

from lessons import claim_checks, services
from lessons.admin_history import LessonHistoryAdmin
from lessons.claim_checks import Located
from lessons.models import Course, Lesson
from lessons.rendering import render_markdown

# Claims whose runs each claim at most this many seconds are run when a lesson is
# saved; the others would hold up the save, and are left to manage.py check_claims.
CLAIMS_CHECKED_ON_SAVE_UP_TO = 1.0
# And at most this many distinct runs, made eight at a time: a save waits a few seconds at most.
CLAIM_RUNS_ON_SAVE = 16


class VersionCheckedForm(forms.ModelForm):
    """An admin form that refuses to save over a version saved since it was opened."""

    # The version the editor opened; a save is refused if the row moved on since.
    opened_version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            # From the database, not the instance: a history revert hands us an old copy.
            self.fields["opened_version"].initial = self._stored_version()

    def _stored_version(self, *, lock: bool = False) -> int | None:
        rows = self._meta.model._default_manager.filter(pk=self.instance.pk)
        if lock:
            rows = rows.select_for_update()
        return rows.values_list("version", flat=True).first()

    def clean(self) -> dict:
        cleaned = super().clean()
        if self.instance.pk:
            # The admin wraps the whole change view in a transaction, so this row
            # lock holds until our save: no other save can slip in between.
            stored = self._stored_version(lock=True)
            opened = cleaned.get("opened_version")
            if stored is not None and opened != stored:
                name = self._meta.model._meta.verbose_name
                raise ValidationError(
                    f"Someone else saved this {name} after you opened it, so your save was "
                    "refused and nothing was overwritten. Your text is still in the form: "
                    f"copy what you changed, open the {name} again, and apply it to the new "
                    "version.",
                    code="edit_conflict",
                )
        return cleaned


class VersionCheckedAdmin(SimpleHistoryAdmin):
    def history_form_view(self, request, object_id, version_id, extra_context=None):
        # The change view runs in a transaction; the revert view does not, yet the
        # form's version check takes a row lock that needs one (PostgreSQL insists).
        with transaction.atomic(using=router.db_for_write(self.model)):
            return super().history_form_view(request, object_id, version_id, extra_context)


class CourseAdminForm(VersionCheckedForm):
    class Meta:
        model = Course
        fields = ["title", "slug", "summary", "position"]


@admin.register(Course)
class CourseAdmin(VersionCheckedAdmin):
    form = CourseAdminForm
    list_display = ["title", "slug", "position"]
    list_editable = ["position"]
    search_fields = ["title", "summary"]
    prepopulated_fields = {"slug": ["title"]}
    ordering = ["position", "title"]
    readonly_fields = ["version"]
    fields = ["title", "slug", "summary", "position", "opened_version", "version"]


class LessonAdminForm(VersionCheckedForm):
    class Meta:
        model = Lesson
        fields = ["course", "title", "slug", "summary", "body", "position", "status"]


@admin.register(Lesson)
class LessonAdmin(LessonHistoryAdmin, VersionCheckedAdmin):
    form = LessonAdminForm
    list_display = ["title", "course", "status", "position", "reading_minutes", "updated_at"]
    list_filter = ["course", "status"]
    list_select_related = ["course"]
    search_fields = ["title", "summary", "body"]
    prepopulated_fields = {"slug": ["title"]}
    ordering = ["course__position", "position"]
    readonly_fields = ["created_at", "updated_at", "version"]
    history_list_display = ["status", "title"]
    fieldsets = [
        (None, {"fields": ["course", "title", "slug", "summary", "status", "position"]}),
        ("Text", {"fields": ["body", "opened_version"]}),
        ("Record", {"fields": ["version", "created_at", "updated_at"], "classes": ["collapse"]}),
    ]

    def save_model(self, request, obj: Lesson, form, change: bool) -> None:
        # Both an edit and a revert from the history come through here.
        obj.edited_by_staff = True
        super().save_model(request, obj, form, change)
        if change:
            services.lesson_announce_update(lesson=obj)
        self._check_claims(request, obj)

    def _check_claims(self, request, lesson: Lesson) -> None:
        """Warn about claims the saved lesson gets wrong; the save is kept either way.

        Only quick claims are run here (CLAIMS_CHECKED_ON_SAVE_UP_TO, CLAIM_RUNS_ON_SAVE),
        side by side: a save waits about as long as its longest such runs, or up to
        three times that for a claim that misses and is measured again.
        """
        name = f"{lesson.course.slug}/{lesson.slug}"
        cached = lesson._rendered_body  # what the form's validation rendered, if it did
        rendered = (
            cached[1] if cached and cached[0] == lesson.body else render_markdown(lesson.body)
        )
        located = [Located(name, claim) for claim in rendered.claims]
        quick, slow = claim_checks.cheap(located, CLAIMS_CHECKED_ON_SAVE_UP_TO, CLAIM_RUNS_ON_SAVE)
        if quick:
            for outcome in claim_checks.check_now(quick).failed:
                claim = outcome.located.claim
                found = (
                    f"measured {claim_checks.format_value(claim, outcome.measured)}"
                    if outcome.measured is not None
                    else f"could not be measured ({outcome.reason})"
                )
                messages.warning(
                    request,
                    f"A claim in this lesson does not hold: {claim.source} says {claim.shown} "
                    f"{claim.tolerance_text}, but the demo {found} (after {outcome.attempts} "
                    f'runs), in "{claim.context}". The lesson was saved: correct the number '
                    "or the claim.",
                )
        if slow:
            messages.info(
                request,
                f"{len(slow)} of the lesson's {len(located)} claims take longer than "
                f"{CLAIMS_CHECKED_ON_SAVE_UP_TO:g} s to run (or state no time for a run, or "
                f"come after the first {CLAIM_RUNS_ON_SAVE} runs) and were not checked on "
                "save: run manage.py check_claims to check them.",
            )
