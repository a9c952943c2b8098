"""A lesson's history in the admin: what each version changed, and its bundled file."""

import time

import pytest
from django.urls import reverse

from lessons import content_loader, diffs, versions
from lessons.content_loader import CourseFile, load_bundle
from lessons.diffs import Fold, Line, line_diff
from lessons.models import Course, Lesson

pytestmark = pytest.mark.django_db

HOSTILE = '<script>alert("owned")</script><img src=x onerror=alert(1)>'
CONFLICT_MESSAGE = "Someone else saved this lesson after you opened it"


def history_url(lesson: Lesson) -> str:
    return reverse("admin:lessons_lesson_history", args=[lesson.pk])


def change_url(lesson: Lesson) -> str:
    return reverse("admin:lessons_lesson_change", args=[lesson.pk])


def revert_url(lesson: Lesson, history_id: int) -> str:
    return reverse("admin:lessons_lesson_simple_history", args=[lesson.pk, history_id])


def shown(diff) -> list[tuple[str, str]]:
    """The diff's rows as (kind, text), folds as ("fold", count)."""
    return [
        ("fold", str(row.count)) if isinstance(row, Fold) else (row.kind, row.text)
        for row in diff.rows
    ]


def numbered(count: int) -> str:
    return "".join(f"line {n}\n" for n in range(1, count + 1))


# ---------------------------------------------------------------------------
# The diff function


def test_an_added_line_is_marked_added_with_its_new_number():
    diff = line_diff("one\ntwo\n", "one\nnew\ntwo\n")

    assert shown(diff) == [("same", "one"), ("added", "new"), ("same", "two")]
    assert diff.rows[1] == Line("added", None, 2, "new")
    assert (diff.added, diff.removed) == (1, 0)


def test_a_removed_line_is_marked_removed_with_its_old_number():
    diff = line_diff("one\ngone\ntwo\n", "one\ntwo\n")

    assert shown(diff) == [("same", "one"), ("removed", "gone"), ("same", "two")]
    assert diff.rows[1] == Line("removed", 2, None, "gone")
    assert (diff.added, diff.removed) == (0, 1)


def test_a_changed_line_is_removed_then_added():
    diff = line_diff("one\ntwo\nthree\n", "one\nTWO\nthree\n")

    assert shown(diff) == [("same", "one"), ("removed", "two"), ("added", "TWO"), ("same", "three")]


def test_identical_bodies_have_no_rows_whatever_their_final_newline():
    diff = line_diff("same\r\ntext\n", "same\ntext")

    assert not diff.changed
    assert diff.rows == []


def test_long_unchanged_stretches_are_folded_around_the_change():
    old = numbered(40)
    new = old.replace("line 20\n", "line twenty\n")

    diff = line_diff(old, new)

    assert shown(diff) == [
        ("fold", "16"),
        ("same", "line 17"),
        ("same", "line 18"),
        ("same", "line 19"),
        ("removed", "line 20"),
        ("added", "line twenty"),
        ("same", "line 21"),
        ("same", "line 22"),
        ("same", "line 23"),
        ("fold", "17"),
    ]
    assert diff.rows[-2] == Line("same", 23, 23, "line 23")


def test_two_changes_far_apart_keep_a_fold_between_them():
    old = numbered(30)
    new = old.replace("line 2\n", "line II\n").replace("line 29\n", "line XXIX\n")

    kinds = [kind for kind, _ in shown(line_diff(old, new))]

    assert kinds.count("fold") == 1
    assert kinds.count("added") == kinds.count("removed") == 2


def test_hostile_html_is_kept_as_text_in_the_diff():
    diff = line_diff("safe\n", f"safe\n{HOSTILE}\n")

    assert shown(diff)[-1] == ("added", HOSTILE)


def test_huge_bodies_are_diffed_in_bounded_time_and_size():
    # Two symbols, alternating differently: the shape that costs difflib most.
    old = "\n".join("ab"[n % 2] for n in range(30_000))
    new = "\n".join("ba"[n % 3 % 2] for n in range(30_000))

    started = time.perf_counter()
    diff = line_diff(old, new)
    elapsed = time.perf_counter() - started

    assert elapsed < 2  # about 0.05 s; generous for a busy machine
    assert not diff.aligned
    changed_rows = [row for row in diff.rows if row.kind in ("added", "removed")]
    assert len(changed_rows) == diffs.MAX_SHOWN_LINES
    assert diff.not_shown == diff.added + diff.removed - diffs.MAX_SHOWN_LINES


def test_a_middle_just_within_the_bound_is_still_matched_line_by_line():
    old = numbered(diffs.MAX_ALIGNED_LINES)
    new = old.replace("line 7\n", "line seven\n").replace("line 1990\n", "line 1990!\n")

    diff = line_diff(old, new)

    assert diff.aligned
    assert (diff.added, diff.removed) == (2, 2)


# ---------------------------------------------------------------------------
# The history page


def edit(client, lesson: Lesson, form_fields, **changes) -> None:
    data = form_fields(client.get(change_url(lesson)), "lesson_form")
    data.update(changes)
    response = client.post(change_url(lesson), data)
    assert response.status_code == 302, response.content.decode()[:2000]


def test_the_history_shows_the_lines_each_version_added_and_removed(
    editor_client, lessons, form_fields, html
):
    lesson = lessons.intro
    edit(editor_client, lesson, form_fields, body=lesson.body + "\nA brand new closing line.\n")

    page = html(editor_client.get(history_url(lesson)))

    newest = page.find("li", class_="lesson-version")
    added = newest.find_all("tr", class_="diff-added")
    assert [row.find("td", class_="diff-text").text for row in added] == [
        "",
        "A brand new closing line.",
    ]
    # Marked by a sign and words, not by colour alone.
    sign = added[-1].find("td", class_="diff-sign")
    assert "+" in sign.text
    assert "added" in sign.text


def test_the_history_lists_the_other_fields_each_version_changed(
    editor_client, lessons, form_fields, html
):
    lesson = lessons.intro
    edit(
        editor_client,
        lesson,
        form_fields,
        title="Introduction, revised",
        status="draft",
        position="7",
    )

    page = html(editor_client.get(history_url(lesson)))

    table = page.find("li", class_="lesson-version").find("table", class_="field-changes")
    rows = {
        row.find("th").text: [cell.text for cell in row.find_all("td")]
        for row in table.find("tbody").find_all("tr")
    }
    assert rows == {
        "Title": ["removed: Introduction", "added: Introduction, revised"],
        "Status": ["removed: Published", "added: Draft"],
        "Position": ["removed: 1", "added: 7"],
    }


def test_a_change_of_course_is_named_by_the_courses_titles(
    editor_client, lessons, form_fields, html
):
    other = Course.objects.create(title="Going further", slug="further")
    edit(editor_client, lessons.intro, form_fields, course=str(other.pk))

    page = html(editor_client.get(history_url(lessons.intro)))

    table = page.find("li", class_="lesson-version").find("table", class_="field-changes")
    assert "Asyncio basics" in table.text
    assert "Going further" in table.text


def test_a_course_deleted_since_is_named_as_deleted_in_the_history_and_revert(
    editor_client, lessons, form_fields, html
):
    further = Course.objects.create(title="Going further", slug="further")
    first = lessons.intro.course
    for lesson in Lesson.objects.filter(course=first):
        edit(editor_client, lesson, form_fields, course=str(further.pk))
    first_id = first.pk
    first.delete()  # its lessons moved: the history's earlier versions still name it
    lesson = lessons.intro
    original = lesson.history.earliest()

    history = editor_client.get(history_url(lesson))
    revert = editor_client.get(revert_url(lesson, original.history_id))

    assert history.status_code == 200
    assert revert.status_code == 200
    newest = html(history).find("li", class_="lesson-version")
    changed = newest.find("table", class_="field-changes")
    assert f"a deleted course (id {first_id})" in changed.text
    assert "None" not in changed.text
    section = html(revert).find("section", class_="revert-changes")
    assert f"a deleted course (id {first_id})" in section.text


def test_hostile_html_in_a_body_is_shown_escaped_in_the_history(
    editor_client, lessons, form_fields
):
    edit(editor_client, lessons.intro, form_fields, body=f"Intro.\n\n`{HOSTILE}`\n")

    page = editor_client.get(history_url(lessons.intro)).content.decode()

    assert "<script>alert" not in page
    assert "<img src=x" not in page
    assert "&lt;script&gt;alert(&quot;owned&quot;)&lt;/script&gt;" in page


def test_two_chosen_versions_are_compared(editor_client, lessons, form_fields, html):
    lesson = lessons.intro
    for text in ("First rewrite.\n", "Second rewrite.\n", "Third rewrite.\n"):
        edit(editor_client, lesson, form_fields, body=text)
    first, second, *_ = lesson.history.order_by("history_date")

    response = editor_client.get(
        history_url(lesson), {"from": first.history_id, "to": second.history_id}
    )

    section = html(response).find("section", id="compare")
    assert "Version 1 → version 2" in section.text
    removed = [
        r.find("td", class_="diff-text").text for r in section.find_all("tr", class_="diff-removed")
    ]
    added = [
        r.find("td", class_="diff-text").text for r in section.find_all("tr", class_="diff-added")
    ]
    assert "Waiting is what programs do most." in " ".join(removed)
    assert added == ["First rewrite."]
    chosen = [o.attrs.get("value") for o in section.find_all("option") if "selected" in o.attrs]
    assert chosen == [str(first.history_id), str(second.history_id)]


def test_without_a_choice_the_form_starts_on_the_latest_change(
    editor_client, lessons, form_fields, html
):
    edit(editor_client, lessons.intro, form_fields, body="Only this now.\n")
    first, second = lessons.intro.history.order_by("history_date")

    section = html(editor_client.get(history_url(lessons.intro))).find("section", id="compare")

    chosen = [o.attrs.get("value") for o in section.find_all("option") if "selected" in o.attrs]
    assert chosen == [str(first.history_id), str(second.history_id)]
    # The list below shows that change already: it is not diffed twice.
    assert section.find("table", class_="line-diff") is None


@pytest.mark.parametrize("chosen", ["nonsense", "999999", "another lesson's"])
def test_a_version_of_another_lesson_or_none_is_refused_with_a_message(
    chosen, editor_client, lessons, form_fields, html
):
    edit(editor_client, lessons.intro, form_fields, body="Changed.\n")
    if chosen == "another lesson's":
        chosen = lessons.outro.history.get().history_id
    latest = lessons.intro.history.latest().history_id

    response = editor_client.get(history_url(lessons.intro), {"from": chosen, "to": latest})

    assert response.status_code == 200
    section = html(response).find("section", id="compare")
    assert "There is no such version of this lesson" in section.text
    assert section.find("table", class_="line-diff") is None


def test_a_version_of_another_lesson_is_never_shown(editor_client, lessons, form_fields, html):
    edit(editor_client, lessons.intro, form_fields, body="Changed.\n")
    secret = lessons.draft.history.get().history_id

    response = editor_client.get(
        history_url(lessons.intro),
        {"from": secret, "to": lessons.intro.history.latest().history_id},
    )

    assert "Secret draft words." not in response.content.decode()


def test_the_history_is_for_staff_only(reader_client, client, lessons):
    for visitor in (client, reader_client):
        response = visitor.get(history_url(lessons.draft))

        assert response.status_code == 302
        assert response.url.startswith(reverse("admin:login"))


def test_the_history_is_paged_so_a_page_diffs_a_bounded_number_of_versions(
    editor_client, lessons, html
):
    lesson = lessons.intro
    for n in range(25):
        lesson.body = f"Version text {n}.\n"
        lesson.save()

    page = html(editor_client.get(history_url(lesson)))

    assert len(page.find_all("li", class_="lesson-version")) == 20
    # The oldest on the page is still compared with the one before it (on page 2).
    oldest = page.find_all("li", class_="lesson-version")[-1]
    assert oldest.find("table", class_="line-diff") is not None


# ---------------------------------------------------------------------------
# Reverting


def test_the_revert_page_shows_what_reverting_changes(editor_client, lessons, form_fields, html):
    lesson = lessons.intro
    original = lesson.history.earliest()
    edit(editor_client, lesson, form_fields, body="A regrettable rewrite.\n")

    page = html(editor_client.get(revert_url(lesson, original.history_id)))

    section = page.find("section", class_="revert-changes")
    assert "reverting to version 1" in section.text
    removed = section.find("tr", class_="diff-removed")
    assert "A regrettable rewrite." in removed.text


def test_a_revert_opened_before_someone_elses_save_is_refused(
    editor_client, other_editor_client, lessons, form_fields
):
    lesson = lessons.intro
    original = lesson.history.earliest()
    edit(editor_client, lesson, form_fields, body="A regrettable rewrite.\n")
    revert = form_fields(
        editor_client.get(revert_url(lesson, original.history_id)), "historicallesson_form"
    )
    edit(other_editor_client, lesson, form_fields, body="Newer work by someone else.\n")
    versions_before = lesson.history.count()

    response = editor_client.post(revert_url(lesson, original.history_id), revert)

    assert response.status_code == 200
    assert CONFLICT_MESSAGE in response.content.decode()
    lesson.refresh_from_db()
    assert lesson.body.strip() == "Newer work by someone else."
    assert lesson.history.count() == versions_before


def test_a_revert_reopened_after_the_newer_save_goes_through(
    editor_client, other_editor_client, lessons, form_fields
):
    lesson = lessons.intro
    original = lesson.history.earliest()
    edit(editor_client, lesson, form_fields, body="A regrettable rewrite.\n")
    edit(other_editor_client, lesson, form_fields, body="Newer work by someone else.\n")
    revert = form_fields(
        editor_client.get(revert_url(lesson, original.history_id)), "historicallesson_form"
    )

    response = editor_client.post(revert_url(lesson, original.history_id), revert)

    assert response.status_code == 302
    lesson.refresh_from_db()
    assert lesson.body.strip() == original.body.strip()


# ---------------------------------------------------------------------------
# Bundled lessons and their files

EVENT_LOOP_PATH = "lessons/content/asyncio/03-the-event-loop.md"


def course_of(source: content_loader.LessonFile) -> CourseFile:
    return CourseFile(slug="asyncio", title="Asyncio", summary="", position=1, lessons=[source])


@pytest.fixture
def bundled_lesson(db) -> Lesson:
    """The bundled "The event loop", loaded by the loader from its file."""
    path = content_loader.lesson_file("asyncio", "the-event-loop")
    source = content_loader.read_lesson_file(path)
    load_bundle([course_of(source)])
    return Lesson.objects.get(course__slug="asyncio", slug="the-event-loop")


def test_a_lesson_loaded_from_its_file_names_the_file_on_its_change_form(
    editor_client, bundled_lesson, html
):
    page = html(editor_client.get(change_url(bundled_lesson)))

    field = page.find("div", class_="field-bundled_file")
    assert EVENT_LOOP_PATH in field.text
    assert "It is the same as the file" in field.text


def test_a_lesson_not_from_a_file_has_no_file_notice(editor_client, lessons, html):
    page = editor_client.get(change_url(lessons.intro)).content.decode()
    history = html(editor_client.get(history_url(lessons.intro)))

    assert "field-bundled_file" not in page
    assert history.find("section", id="bundled-file") is None


def test_an_untouched_bundled_lesson_shows_no_difference_from_its_file(
    editor_client, bundled_lesson, html
):
    section = html(editor_client.get(history_url(bundled_lesson))).find(
        "section", id="bundled-file"
    )

    assert EVENT_LOOP_PATH in section.text
    assert "No change: the two are the same." in section.text


def test_a_bundled_lesson_staff_changed_shows_its_body_against_the_file_and_is_kept(
    editor_client, bundled_lesson, form_fields, html
):
    data = form_fields(editor_client.get(change_url(bundled_lesson)), "lesson_form")
    data["body"] = data["body"] + "\n\nA line staff added.\n"
    data["title"] = "The event loop, by staff"
    assert editor_client.post(change_url(bundled_lesson), data).status_code == 302

    section = html(editor_client.get(history_url(bundled_lesson))).find(
        "section", id="bundled-file"
    )

    assert "load_lessons keeps this version" in section.text
    added = [
        r.find("td", class_="diff-text").text for r in section.find_all("tr", class_="diff-added")
    ]
    assert added[-1] == "A line staff added."
    assert "only in this lesson" in section.find("tr", class_="diff-added").text
    assert "The event loop, by staff" in section.find("table", class_="field-changes").text
    # What the page says is what the loader then does.
    path = content_loader.lesson_file("asyncio", "the-event-loop")
    report = load_bundle([course_of(content_loader.read_lesson_file(path))])
    assert report.kept == [("asyncio/the-event-loop", content_loader.KEPT_STAFF)]


def test_a_bundled_lesson_whose_file_changed_says_the_next_load_replaces_it(
    bundled_lesson, tmp_path
):
    # A copy of the bundle where the file moved on since the lesson was loaded.
    folder = tmp_path / "asyncio"
    folder.mkdir()
    original = content_loader.lesson_file("asyncio", "the-event-loop")
    newer = folder / original.name
    newer.write_text(
        original.read_text(encoding="utf-8") + "\nA paragraph the file gained.\n", encoding="utf-8"
    )

    status = versions.bundled_status(bundled_lesson, root=tmp_path)
    report = load_bundle([course_of(content_loader.read_lesson_file(newer))])

    assert "the next load_lessons replaces it with the file's version" in status.outcome_text
    removed = [row.text for row in status.comparison.body.rows if row.kind == "removed"]
    assert removed == ["", "A paragraph the file gained."]
    assert report.updated == ["asyncio/the-event-loop"]


def test_a_bundled_lesson_changed_outside_the_admin_says_the_loader_keeps_it(bundled_lesson):
    bundled_lesson.body += "\nA line written from a shell.\n"
    bundled_lesson.save()

    status = versions.bundled_status(bundled_lesson)
    path = content_loader.lesson_file("asyncio", "the-event-loop")
    report = load_bundle([course_of(content_loader.read_lesson_file(path))])

    assert "changed outside the admin since it was loaded" in status.outcome_text
    assert report.kept == [("asyncio/the-event-loop", content_loader.KEPT_CHANGED)]


def test_a_bundled_file_that_cannot_be_read_is_named_with_the_reason(bundled_lesson, tmp_path):
    folder = tmp_path / "asyncio"
    folder.mkdir()
    (folder / "03-the-event-loop.md").write_text("No front matter here.\n", encoding="utf-8")

    status = versions.bundled_status(bundled_lesson, root=tmp_path)

    assert "no front matter" in status.error
    assert status.comparison is None
