from typing import Any

from django.core.exceptions import ImproperlyConfigured, ValidationError
from django.db import models
from django.urls import reverse
from simple_history.models import HistoricalRecords

from lessons.body_limits import MAX_BODY_CHARS, MAX_HTML_DEPTH
from lessons.rendering import RENDERER_VERSION, BodyError, Rendered, render_markdown


class Versioned(models.Model):
    """A row that counts its saves, for the admin's edit-conflict check (lessons.admin)."""

    # Bumped by every save; an editor's form carries the version it was opened at,
    # so a save over someone else's newer edit is refused, not applied.
    version = models.PositiveIntegerField(default=0, editable=False)

    class Meta:
        abstract = True

    def save(self, *args, **kwargs) -> None:
        # Count from the stored version, not this instance's: a revert from the
        # history starts from an old copy and must still move forward.
        stored = type(self)._default_manager.filter(pk=self.pk).values_list("version", flat=True)
        self.version = (stored.first() or 0) + 1
        super().save(*args, **kwargs)


class Course(Versioned):
    title = models.CharField(max_length=200, help_text="Shown as the course's heading.")
    slug = models.SlugField(
        max_length=100, unique=True, help_text="The course's part of its address: /courses/<slug>/."
    )
    summary = models.TextField(
        blank=True, help_text="One or two sentences shown in the list of courses."
    )
    position = models.PositiveIntegerField(
        default=0, help_text="Courses are listed by this number, smallest first."
    )
    history = HistoricalRecords(excluded_fields=["version"])

    class Meta:
        ordering = ["position", "title"]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("lessons:course", kwargs={"course": self.slug})


class LessonQuerySet(models.QuerySet):
    def published(self) -> "LessonQuerySet":
        return self.filter(status=Lesson.Status.PUBLISHED)

    def visible_to(self, *, is_staff: bool) -> "LessonQuerySet":
        return self if is_staff else self.published()


class Lesson(Versioned):
    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        PUBLISHED = "published", "Published"

    course = models.ForeignKey(
        Course,
        on_delete=models.PROTECT,
        related_name="lessons",
        help_text="The course it belongs to.",
    )
    title = models.CharField(max_length=200, help_text="Shown as the lesson's heading.")
    slug = models.SlugField(
        max_length=100, help_text="The lesson's part of its address, unique within its course."
    )
    summary = models.TextField(blank=True, help_text="One sentence shown in the course's list.")
    body = models.TextField(
        max_length=MAX_BODY_CHARS,
        help_text=(
            "Markdown (CommonMark and tables). Start sections with ## headings; they form the "
            "table of contents. Embed a demo with a fenced block whose info string is demo, "
            'holding "name: sleep" (any name in /demos/catalog.json) and optional parameters. '
            "Ask a question with a fenced quiz block (choices, order or answer); set a graded "
            "exercise with a fenced exercise block (title, task, start, solution, goals). "
            "Write a time a run decides as a claim: {{claim sleep sync -> 6 s ±10%}}. At most "
            f"{MAX_BODY_CHARS:,} characters, and HTML nested at most {MAX_HTML_DEPTH} deep."
        ),
    )
    position = models.PositiveIntegerField(
        default=0, help_text="Lessons are listed by this number within their course."
    )
    status = models.CharField(
        max_length=10,
        choices=Status,
        default=Status.DRAFT,
        help_text="Drafts are visible to staff only.",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    # Set when staff save through the admin: load_lessons leaves such lessons alone.
    edited_by_staff = models.BooleanField(default=False, editable=False)
    # A hash of the fields load_lessons last wrote from the lesson's file: if they no
    # longer match it, someone changed them since (by any path) and the loader keeps them.
    loaded_hash = models.CharField(max_length=64, editable=False, default="")

    # Derived from body by render(); stored so that pages never render Markdown.
    body_html = models.TextField(editable=False, default="")
    toc = models.JSONField(editable=False, default=list)
    reading_minutes = models.PositiveIntegerField(editable=False, default=1)
    demo_names = models.JSONField(editable=False, default=list)
    # Each exercise block's title and goals (exercises.blocks): what a run is graded with.
    exercises = models.JSONField(editable=False, default=list)
    rendered_with = models.PositiveIntegerField(editable=False, default=0)
    # The fields above, named once: render(), the history and load_lessons' re-render
    # all take this list, so a new derived field cannot be left out of one of them.
    DERIVED_FIELDS = (
        "body_html", "toc", "reading_minutes", "demo_names", "exercises", "rendered_with",
    )  # fmt: skip

    objects = LessonQuerySet.as_manager()
    history = HistoricalRecords(excluded_fields=[*DERIVED_FIELDS, "version", "loaded_hash"])

    # What clean() rendered, and from which body: an admin save validates, then
    # saves, and rendering once is enough while the body has not changed since.
    _rendered_body: tuple[str, Rendered] | None = None

    class Meta:
        ordering = ["course__position", "position", "title"]
        constraints = [
            models.UniqueConstraint(fields=["course", "slug"], name="lesson_slug_unique_in_course")
        ]

    def __str__(self) -> str:
        return self.title

    def save(self, *args, **kwargs) -> None:
        # The stored HTML must never disagree with the body, whatever path saved
        # it (admin, loader, history revert, shell), so it is derived here.
        self.render()
        super().save(*args, **kwargs)

    def get_absolute_url(self) -> str:
        return reverse("lessons:lesson", kwargs={"course": self.course.slug, "lesson": self.slug})

    @property
    def is_published(self) -> bool:
        return self.status == self.Status.PUBLISHED

    def clean(self) -> None:
        try:
            self._rendered_body = (self.body, render_markdown(self.body))
        except BodyError as exc:
            raise ValidationError({"body": str(exc)}) from None

    def render(self) -> dict[str, Any]:
        """Set the DERIVED_FIELDS from body; returns them by name."""
        if self._rendered_body is not None and self._rendered_body[0] == self.body:
            rendered = self._rendered_body[1]
        else:
            rendered = render_markdown(self.body)
        values = {
            "body_html": rendered.html,
            "toc": rendered.toc,
            "reading_minutes": rendered.reading_minutes,
            "demo_names": rendered.demos,
            "exercises": rendered.exercises,
            "rendered_with": RENDERER_VERSION,
        }
        # A field added here but not to DERIVED_FIELDS, or the other way round, fails every save.
        if values.keys() != set(self.DERIVED_FIELDS):
            raise ImproperlyConfigured("Lesson.render() must set exactly Lesson.DERIVED_FIELDS")
        for name, value in values.items():
            setattr(self, name, value)
        return values


class ClaimCheck(models.Model):
    """The last time a claim ({{claim ...}}, lessons.claims) was checked, and what it found.

    Keyed by the claim as written: the same claim in two lessons measures the same
    runs. The admin's lesson editor lists each claim of the text with this row, so
    writers see whether a number held when check_claims or a save last ran it.
    """

    source = models.TextField(unique=True)
    measured = models.FloatField(null=True, blank=True)  # in the claim's unit; None: no value
    passed = models.BooleanField()
    reason = models.TextField(blank=True)  # why no value could be measured
    checked_at = models.DateTimeField()

    def __str__(self) -> str:
        return self.source
