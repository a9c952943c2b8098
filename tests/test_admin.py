"""The admin: staff write courses and lessons, every save is kept, edits never overwrite."""

from unittest import mock

import pytest
from django.db import connection
from django.urls import reverse

from lessons.admin import CourseAdminForm, LessonAdminForm
from lessons.models import Course, Lesson
from lessons.rendering import render_markdown
from live.models import DemoRun

pytestmark = pytest.mark.django_db

CONFLICT_MESSAGE = "Someone else saved this lesson after you opened it"


def change_url(lesson: Lesson) -> str:
    return reverse("admin:lessons_lesson_change", args=[lesson.pk])


def history_url(lesson: Lesson) -> str:
    return reverse("admin:lessons_lesson_history", args=[lesson.pk])


def revert_url(lesson: Lesson, history_id: int) -> str:
    return reverse("admin:lessons_lesson_simple_history", args=[lesson.pk, history_id])


@pytest.fixture
def open_lesson(form_fields):
    """``open_lesson(client, lesson)``: the change form's fields, as that editor sees them."""

    def open_(client, lesson: Lesson) -> dict[str, str]:
        response = client.get(change_url(lesson))
        assert response.status_code == 200
        return form_fields(response, "lesson_form")

    return open_


def reader_page_text(client, lesson: Lesson, html) -> str:
    response = client.get(lesson.get_absolute_url())
    assert response.status_code == 200
    return html(response).find("div", class_="lesson-body").text


# ---------------------------------------------------------------------------
# Adding and editing


def test_staff_can_add_a_course(editor_client):
    response = editor_client.post(
        reverse("admin:lessons_course_add"),
        {"title": "Async Django", "slug": "async-django", "summary": "Views.", "position": 2},
    )

    assert response.status_code == 302
    course = Course.objects.get(slug="async-django")
    assert (course.title, course.position) == ("Async Django", 2)


def test_staff_can_add_a_lesson(editor_client, course, client, html):
    response = editor_client.post(
        reverse("admin:lessons_lesson_add"),
        {
            "course": course.pk,
            "title": "Tasks",
            "slug": "tasks",
            "summary": "Run things together.",
            "body": "## Tasks\n\nA task wraps a coroutine.\n\n```demo\nname: sleep\n```\n",
            "position": 4,
            "status": "published",
            "opened_version": "",
        },
    )

    assert response.status_code == 302
    lesson = Lesson.objects.get(course=course, slug="tasks")
    assert lesson.version == 1
    assert lesson.demo_names == ["sleep"]
    assert "A task wraps a coroutine." in reader_page_text(client, lesson, html)


def test_a_slug_already_used_in_the_course_is_a_form_error(editor_client, lessons):
    response = editor_client.post(
        reverse("admin:lessons_lesson_add"),
        {
            "course": lessons.intro.course.pk,
            "title": "Another intro",
            "slug": "intro",
            "summary": "",
            "body": "Text.\n",
            "position": 9,
            "status": "draft",
            "opened_version": "",
        },
    )

    assert response.status_code == 200
    assert response.context["adminform"].form.errors
    assert Lesson.objects.filter(slug="intro").count() == 1


def test_the_change_form_carries_the_version_it_was_opened_at(editor_client, lessons, open_lesson):
    lesson = lessons.intro
    lesson.save()  # version 2

    assert open_lesson(editor_client, lesson)["opened_version"] == "2"


def test_staff_can_edit_a_lesson_and_readers_see_the_new_text(
    editor_client, lessons, open_lesson, client, html
):
    data = open_lesson(editor_client, lessons.intro)
    data["body"] = "## Rewritten\n\nThe loop runs one task at a time.\n"

    response = editor_client.post(change_url(lessons.intro), data)

    assert response.status_code == 302
    assert "The loop runs one task at a time." in reader_page_text(client, lessons.intro, html)


def test_saving_through_the_admin_marks_the_lesson_as_edited_by_staff(
    editor_client, lessons, open_lesson
):
    assert not lessons.intro.edited_by_staff
    data = open_lesson(editor_client, lessons.intro)
    data["title"] = "Introduction, revised"

    editor_client.post(change_url(lessons.intro), data)

    lessons.intro.refresh_from_db()
    assert lessons.intro.title == "Introduction, revised"
    assert lessons.intro.edited_by_staff


def test_publishing_a_draft_shows_it_to_readers(editor_client, lessons, open_lesson, client):
    assert client.get(lessons.draft.get_absolute_url()).status_code == 404
    data = open_lesson(editor_client, lessons.draft)
    data["status"] = "published"

    editor_client.post(change_url(lessons.draft), data)

    assert client.get(lessons.draft.get_absolute_url()).status_code == 200


def counting_renders():
    """Counts the Markdown renders of the lesson model, rendering as usual."""
    return mock.patch("lessons.models.render_markdown", wraps=render_markdown)


def test_an_admin_edit_renders_the_body_once(editor_client, lessons, open_lesson):
    data = open_lesson(editor_client, lessons.intro)
    data["body"] = "## Rewritten\n\nOnce is enough.\n"

    with counting_renders() as render:
        response = editor_client.post(change_url(lessons.intro), data)

    assert response.status_code == 302
    assert render.call_count == 1
    lessons.intro.refresh_from_db()
    assert "Once is enough." in lessons.intro.body_html


def test_adding_a_lesson_in_the_admin_renders_its_body_once(editor_client, course):
    with counting_renders() as render:
        response = editor_client.post(
            reverse("admin:lessons_lesson_add"),
            {
                "course": course.pk,
                "title": "Once",
                "slug": "once",
                "body": "## Once\n\nRendered once.\n",
                "position": 1,
                "status": "draft",
                "opened_version": "",
            },
        )

    assert response.status_code == 302
    assert render.call_count == 1
    assert "Rendered once." in Lesson.objects.get(slug="once").body_html


def test_a_body_changed_after_it_was_validated_is_rendered_again_when_saved(lessons):
    lesson = lessons.intro
    lesson.body = "## Validated\n"
    lesson.clean()
    lesson.body = "## Changed since\n"

    lesson.save()

    lesson.refresh_from_db()
    assert "Changed since" in lesson.body_html
    assert "Validated" not in lesson.body_html


# ---------------------------------------------------------------------------
# Who may use the admin


@pytest.mark.parametrize(
    "url",
    [
        reverse("admin:index"),
        reverse("admin:lessons_lesson_changelist"),
        reverse("admin:lessons_lesson_add"),
    ],
)
def test_anonymous_visitors_are_sent_to_the_login_page(url, client):
    response = client.get(url)

    assert response.status_code == 302
    assert response.url.startswith(reverse("admin:login"))


@pytest.mark.parametrize(
    "url", [reverse("admin:index"), reverse("admin:lessons_lesson_changelist")]
)
def test_a_logged_in_reader_cannot_use_the_admin(url, reader_client):
    response = reader_client.get(url)

    assert response.status_code == 302
    assert response.url.startswith(reverse("admin:login"))


def test_a_logged_in_reader_cannot_change_a_lesson(reader_client, lessons):
    before = Lesson.objects.values().get(pk=lessons.intro.pk)

    response = reader_client.post(change_url(lessons.intro), {"body": "Defaced."})

    assert response.status_code == 302
    assert Lesson.objects.values().get(pk=lessons.intro.pk) == before


# ---------------------------------------------------------------------------
# Finding lessons


def listed(response) -> set[str]:
    assert response.status_code == 200
    return {lesson.slug for lesson in response.context["cl"].result_list}


def test_the_lesson_list_filters_by_status(editor_client, lessons):
    url = reverse("admin:lessons_lesson_changelist")

    assert listed(editor_client.get(url, {"status__exact": "draft"})) == {"work-in-progress"}
    assert listed(editor_client.get(url, {"status__exact": "published"})) == {"intro", "outro"}


def test_the_lesson_list_filters_by_course(editor_client, lessons):
    other = Course.objects.create(title="Other", slug="other")
    Lesson.objects.create(course=other, slug="elsewhere", title="Elsewhere", body="x")
    url = reverse("admin:lessons_lesson_changelist")

    assert listed(editor_client.get(url, {"course__id__exact": other.pk})) == {"elsewhere"}
    assert listed(editor_client.get(url, {"course__id__exact": lessons.intro.course.pk})) == {
        "intro",
        "work-in-progress",
        "outro",
    }


@pytest.mark.parametrize(
    ("query", "found"),
    [
        ("Where next", {"outro"}),  # title
        ("Summary of Introduction", {"intro"}),  # summary
        ("Secret draft words", {"work-in-progress"}),  # body
        ("no lesson says this", set()),
    ],
)
def test_the_lesson_list_searches_titles_summaries_and_bodies(query, found, editor_client, lessons):
    response = editor_client.get(reverse("admin:lessons_lesson_changelist"), {"q": query})

    assert listed(response) == found


# ---------------------------------------------------------------------------
# History


def test_every_save_is_kept_in_the_history(editor_client, lessons, open_lesson):
    lesson = lessons.intro
    assert lesson.history.count() == 1
    for text in ("First edit.\n", "Second edit.\n"):
        data = open_lesson(editor_client, lesson)
        data["body"] = text
        assert editor_client.post(change_url(lesson), data).status_code == 302

    assert lesson.history.count() == 3
    bodies = [h.body for h in lesson.history.order_by("history_date")]
    assert bodies[1:] == ["First edit.", "Second edit."]
    assert lesson.history.latest().history_user.username == "editor"


def test_the_history_page_lists_every_version(editor_client, lessons, open_lesson, html):
    lesson = lessons.intro
    data = open_lesson(editor_client, lesson)
    data["title"] = "Renamed"
    editor_client.post(change_url(lesson), data)

    response = editor_client.get(history_url(lesson))

    assert response.status_code == 200
    links = {a.attrs.get("href") for a in html(response).find_all("a")}
    for version in lesson.history.all():
        assert any(href and href.endswith(f"/history/{version.history_id}/") for href in links)


def test_reverting_to_an_old_version_restores_its_text(
    editor_client, lessons, open_lesson, form_fields, client, html
):
    lesson = lessons.intro
    original = lesson.history.earliest()
    data = open_lesson(editor_client, lesson)
    data["body"] = "A regrettable rewrite.\n"
    editor_client.post(change_url(lesson), data)
    assert "A regrettable rewrite." in reader_page_text(client, lesson, html)

    form = form_fields(
        editor_client.get(revert_url(lesson, original.history_id)), "historicallesson_form"
    )
    response = editor_client.post(revert_url(lesson, original.history_id), form)

    assert response.status_code == 302
    lesson.refresh_from_db()
    assert lesson.body.strip() == original.body.strip()
    assert lesson.version == 3  # a revert is a new save, never a step back
    assert lesson.history.count() == 3
    assert "Waiting is what programs do most." in reader_page_text(client, lesson, html)


def _spy_on_version_lock(monkeypatch, form=LessonAdminForm) -> list[bool]:
    """Record, for each locked version read, whether it ran inside a transaction."""
    in_transaction: list[bool] = []
    original = form._stored_version

    def spy(self, *, lock: bool = False):
        if lock:
            in_transaction.append(connection.in_atomic_block)
        return original(self, lock=lock)

    monkeypatch.setattr(form, "_stored_version", spy)
    return in_transaction


@pytest.mark.django_db(transaction=True)
def test_saving_checks_the_version_under_a_row_lock_in_a_transaction(
    editor_client, lessons, open_lesson, monkeypatch
):
    data = open_lesson(editor_client, lessons.intro)
    data["body"] = "Edited.\n"
    in_transaction = _spy_on_version_lock(monkeypatch)

    assert editor_client.post(change_url(lessons.intro), data).status_code == 302

    assert in_transaction == [True]


@pytest.mark.django_db(transaction=True)
def test_reverting_checks_the_version_under_a_row_lock_in_a_transaction(
    editor_client, lessons, form_fields, monkeypatch
):
    # Outside a transaction, select_for_update() raises TransactionManagementError
    # on PostgreSQL (SQLite ignores it), so every revert would fail there.
    url = revert_url(lessons.intro, lessons.intro.history.earliest().history_id)
    data = form_fields(editor_client.get(url), "historicallesson_form")
    in_transaction = _spy_on_version_lock(monkeypatch)

    editor_client.post(url, data)

    assert in_transaction == [True]


# ---------------------------------------------------------------------------
# Two editors, one lesson


def test_a_save_over_someone_elses_newer_edit_is_refused(
    editor_client, other_editor_client, lessons, open_lesson
):
    lesson = lessons.intro
    alice = open_lesson(editor_client, lesson)
    bob = open_lesson(other_editor_client, lesson)
    assert alice["opened_version"] == bob["opened_version"]

    alice["body"] = "Alice's version.\n"
    assert editor_client.post(change_url(lesson), alice).status_code == 302
    history_after_alice = lesson.history.count()

    bob["body"] = "Bob's version.\n"
    response = other_editor_client.post(change_url(lesson), bob)

    assert response.status_code == 200
    page = response.content.decode()
    assert CONFLICT_MESSAGE in page
    assert "Bob&#x27;s version." in page  # Bob's text is still in his form
    lesson.refresh_from_db()
    assert lesson.body.strip() == "Alice's version."
    assert lesson.history.count() == history_after_alice
    assert not lesson.history.filter(body__contains="Bob's version.").exists()


def test_the_refused_editor_can_save_after_reopening(
    editor_client, other_editor_client, lessons, open_lesson
):
    lesson = lessons.intro
    bob = open_lesson(other_editor_client, lesson)
    alice = open_lesson(editor_client, lesson)
    alice["body"] = "Alice's version.\n"
    editor_client.post(change_url(lesson), alice)
    bob["body"] = "Bob's version.\n"
    assert other_editor_client.post(change_url(lesson), bob).status_code == 200

    bob = open_lesson(other_editor_client, lesson)
    bob["body"] = "Alice's version, improved by Bob.\n"
    response = other_editor_client.post(change_url(lesson), bob)

    assert response.status_code == 302
    lesson.refresh_from_db()
    assert lesson.body.strip() == "Alice's version, improved by Bob."


def test_a_form_without_its_opened_version_is_refused(editor_client, lessons, open_lesson):
    data = open_lesson(editor_client, lessons.intro)
    del data["opened_version"]
    data["body"] = "Blind overwrite.\n"

    response = editor_client.post(change_url(lessons.intro), data)

    assert response.status_code == 200
    assert CONFLICT_MESSAGE in response.content.decode()
    lessons.intro.refresh_from_db()
    assert "Blind overwrite." not in lessons.intro.body


# ---------------------------------------------------------------------------
# Two editors, one course: the same check as for lessons

COURSE_CONFLICT_MESSAGE = "Someone else saved this course after you opened it"


def course_change_url(course: Course) -> str:
    return reverse("admin:lessons_course_change", args=[course.pk])


@pytest.fixture
def open_course(form_fields):
    """``open_course(client, course)``: the change form's fields, as that editor sees them."""

    def open_(client, course: Course) -> dict[str, str]:
        response = client.get(course_change_url(course))
        assert response.status_code == 200
        return form_fields(response, "course_form")

    return open_


def test_every_course_save_moves_its_version_on(course):
    assert course.version == 1
    course.title = "Renamed"
    course.save()

    course.refresh_from_db()
    assert course.version == 2


def test_the_course_change_form_carries_the_version_it_was_opened_at(
    editor_client, course, open_course
):
    course.save()  # version 2

    assert open_course(editor_client, course)["opened_version"] == "2"


def test_a_course_save_over_someone_elses_newer_edit_is_refused(
    editor_client, other_editor_client, course, open_course
):
    alice = open_course(editor_client, course)
    bob = open_course(other_editor_client, course)
    alice["summary"] = "Alice's summary."
    assert editor_client.post(course_change_url(course), alice).status_code == 302
    history_after_alice = course.history.count()

    bob["summary"] = "Bob's summary."
    response = other_editor_client.post(course_change_url(course), bob)

    assert response.status_code == 200
    page = response.content.decode()
    assert COURSE_CONFLICT_MESSAGE in page
    assert "Bob&#x27;s summary." in page  # Bob's text is still in his form
    course.refresh_from_db()
    assert course.summary == "Alice's summary."
    assert course.history.count() == history_after_alice


def test_the_refused_course_editor_can_save_after_reopening(
    editor_client, other_editor_client, course, open_course
):
    bob = open_course(other_editor_client, course)
    alice = open_course(editor_client, course)
    alice["title"] = "Alice's title"
    editor_client.post(course_change_url(course), alice)
    bob["position"] = "7"
    assert other_editor_client.post(course_change_url(course), bob).status_code == 200

    bob = open_course(other_editor_client, course)
    bob["position"] = "7"
    response = other_editor_client.post(course_change_url(course), bob)

    assert response.status_code == 302
    course.refresh_from_db()
    assert (course.title, course.position) == ("Alice's title", 7)


def test_a_course_form_without_its_opened_version_is_refused(editor_client, course, open_course):
    data = open_course(editor_client, course)
    del data["opened_version"]
    data["title"] = "Blind overwrite"

    response = editor_client.post(course_change_url(course), data)

    assert response.status_code == 200
    assert COURSE_CONFLICT_MESSAGE in response.content.decode()
    course.refresh_from_db()
    assert course.title != "Blind overwrite"


def test_reverting_a_course_restores_it_as_a_new_version(
    editor_client, course, open_course, form_fields
):
    original = course.history.earliest()
    data = open_course(editor_client, course)
    data["title"] = "A regrettable title"
    editor_client.post(course_change_url(course), data)
    url = reverse("admin:lessons_course_simple_history", args=[course.pk, original.history_id])

    response = editor_client.post(url, form_fields(editor_client.get(url), "historicalcourse_form"))

    assert response.status_code == 302
    course.refresh_from_db()
    assert course.title == original.title
    assert course.version == 3  # a revert is a new save, never a step back


@pytest.mark.django_db(transaction=True)
def test_saving_a_course_checks_the_version_under_a_row_lock_in_a_transaction(
    editor_client, course, open_course, monkeypatch
):
    data = open_course(editor_client, course)
    data["summary"] = "Edited."
    in_transaction = _spy_on_version_lock(monkeypatch, CourseAdminForm)

    assert editor_client.post(course_change_url(course), data).status_code == 302

    assert in_transaction == [True]


@pytest.mark.django_db(transaction=True)
def test_reverting_a_course_checks_the_version_under_a_row_lock_in_a_transaction(
    editor_client, course, form_fields, monkeypatch
):
    original = course.history.earliest()
    url = reverse("admin:lessons_course_simple_history", args=[course.pk, original.history_id])
    data = form_fields(editor_client.get(url), "historicalcourse_form")
    in_transaction = _spy_on_version_lock(monkeypatch, CourseAdminForm)

    editor_client.post(url, data)

    assert in_transaction == [True]


# ---------------------------------------------------------------------------
# Demo runs are a record, not something to edit


@pytest.fixture
def demo_run(db):
    return DemoRun.objects.create(
        demo="sleep",
        mode="async",
        params={"tasks": 3, "seconds": 2.0},
        status="ok",
        elapsed=2.01,
        timeline=[],
    )


def test_demo_runs_are_listed_for_staff(editor_client, demo_run):
    response = editor_client.get(reverse("admin:live_demorun_changelist"))

    assert response.status_code == 200
    assert list(response.context["cl"].result_list) == [demo_run]


def test_demo_runs_cannot_be_added(editor_client):
    response = editor_client.post(
        reverse("admin:live_demorun_add"),
        {"demo": "sleep", "mode": "sync", "params": "{}", "status": "ok", "elapsed": "1"},
    )

    assert response.status_code == 403
    assert not DemoRun.objects.exists()


def test_a_demo_run_is_shown_read_only(editor_client, demo_run, html):
    response = editor_client.get(reverse("admin:live_demorun_change", args=[demo_run.pk]))

    assert response.status_code == 200
    page = html(response)
    assert not [e for e in page.find_all("input") if e.attrs.get("type") == "submit"]
    assert page.find("textarea") is None


def test_a_demo_run_cannot_be_changed(editor_client, demo_run):
    response = editor_client.post(
        reverse("admin:live_demorun_change", args=[demo_run.pk]),
        {"demo": "weather", "mode": "sync", "status": "failed", "elapsed": "0", "_save": "Save"},
    )

    assert response.status_code == 403
    demo_run.refresh_from_db()
    assert (demo_run.demo, demo_run.status) == ("sleep", "ok")
