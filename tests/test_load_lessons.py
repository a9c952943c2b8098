"""Loading the bundled lessons: complete, repeatable, and never over a change made since."""

from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from lessons import content_loader
from lessons.content_loader import ContentError, load_bundle, read_bundle
from lessons.models import Course, Lesson

pytestmark = pytest.mark.django_db


def load() -> str:
    out = StringIO()
    call_command("load_lessons", stdout=out)
    return out.getvalue()


def snapshot() -> dict:
    return {
        "courses": list(Course.objects.values().order_by("pk")),
        "lessons": list(Lesson.objects.values().order_by("pk")),
        "course_history": Course.history.count(),
        "lesson_history": Lesson.history.count(),
    }


# ---------------------------------------------------------------------------
# The bundled content


def test_it_loads_every_bundled_course_and_lesson():
    bundle = read_bundle()

    output = load()

    assert {"asyncio", "async-django"} <= set(Course.objects.values_list("slug", flat=True))
    expected = sum(len(course.lessons) for course in bundle)
    assert Lesson.objects.count() == expected > 0
    assert Course.objects.count() == len(bundle)
    assert f"{expected + len(bundle)} created, 0 updated" in output


def test_loaded_lessons_follow_their_file_order_and_are_rendered():
    load()

    for course_file in read_bundle():
        course = Course.objects.get(slug=course_file.slug)
        assert course.title == course_file.title
        stored = list(course.lessons.order_by("position").values_list("slug", "position"))
        assert stored == [(f.slug, f.position) for f in course_file.lessons]
    for lesson in Lesson.objects.all():
        assert lesson.body_html
        assert not lesson.edited_by_staff


def test_bundled_lessons_are_readable_by_anyone(client):
    load()

    for lesson in Lesson.objects.published():
        assert client.get(lesson.get_absolute_url()).status_code == 200


def test_running_it_twice_changes_nothing():
    load()
    before = snapshot()

    output = load()

    assert snapshot() == before
    assert "0 created, 0 updated" in output


def test_a_staff_edit_survives_a_rerun():
    load()
    lesson = Lesson.objects.get(course__slug="asyncio", position=1)
    lesson.body = "## Our own words\n\nRewritten by staff.\n"
    lesson.edited_by_staff = True
    lesson.save()
    before = snapshot()

    output = load()

    lesson.refresh_from_db()
    assert lesson.body == "## Our own words\n\nRewritten by staff.\n"
    assert snapshot() == before
    assert f"kept (edited by staff): asyncio/{lesson.slug}" in output


def test_an_edit_saved_from_the_shell_survives_a_rerun_and_is_reported_as_kept():
    load()
    lesson = Lesson.objects.get(course__slug="asyncio", position=1)
    lesson.body = "## Our own words\n\nRewritten from a shell.\n"
    lesson.save()
    before = snapshot()

    output = load()

    lesson.refresh_from_db()
    assert lesson.body == "## Our own words\n\nRewritten from a shell.\n"
    assert snapshot() == before
    assert f"kept (changed since it was loaded): asyncio/{lesson.slug}" in output
    assert "0 created, 0 updated, 1 kept" in output


def test_a_status_changed_by_a_script_survives_a_rerun():
    load()
    lesson = Lesson.objects.published().get(course__slug="asyncio", position=1)
    # A bulk update, as a script or data migration does: no save(), nothing marks the lesson.
    Lesson.objects.filter(pk=lesson.pk).update(status=Lesson.Status.DRAFT)

    output = load()

    assert Lesson.objects.get(pk=lesson.pk).status == Lesson.Status.DRAFT
    assert f"kept (changed since it was loaded): asyncio/{lesson.slug}" in output


@pytest.mark.parametrize(
    ("name", "value"), [("title", "Our title"), ("summary", "Our summary."), ("position", 99)]
)
def test_a_change_to_any_field_its_file_sets_survives_a_rerun(name, value):
    load()
    lesson = Lesson.objects.get(course__slug="asyncio", position=1)
    setattr(lesson, name, value)
    lesson.save()

    output = load()

    assert getattr(Lesson.objects.get(pk=lesson.pk), name) == value
    assert f"kept (changed since it was loaded): asyncio/{lesson.slug}" in output


def test_a_deleted_lesson_is_created_again():
    load()
    lesson = Lesson.objects.get(course__slug="asyncio", position=1)
    lesson.delete()

    output = load()

    assert Lesson.objects.filter(course__slug="asyncio", slug=lesson.slug).exists()
    assert "1 created, 0 updated" in output


# ---------------------------------------------------------------------------
# A bundle of our own (tmp_path)

COURSE = "---\ntitle: Test course\nsummary: For tests.\nposition: 3\n---\n"
LESSON = "---\ntitle: {title}\nsummary: About {title}.\n{extra}---\n\n## Section\n\nWords.\n"


def write_bundle(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root


def lesson_file(title: str, extra: str = "") -> str:
    return LESSON.format(title=title, extra=extra)


def test_it_reads_a_bundle_in_file_order(tmp_path):
    root = write_bundle(
        tmp_path,
        {
            "testing/_course.md": COURSE,
            "testing/02-second.md": lesson_file("Second", "status: draft\n"),
            "testing/01-first.md": lesson_file("First"),
            "testing/10-tenth.md": lesson_file("Tenth"),
        },
    )

    (course,) = read_bundle(root=root)

    assert (course.slug, course.title, course.position) == ("testing", "Test course", 3)
    assert [(f.position, f.slug, f.status) for f in course.lessons] == [
        (1, "first", "published"),
        (2, "second", "draft"),
        (10, "tenth", "published"),
    ]
    assert course.lessons[0].body == "## Section\n\nWords.\n"


def test_it_loads_a_bundle_into_the_database(tmp_path):
    root = write_bundle(
        tmp_path,
        {"testing/_course.md": COURSE, "testing/01-first.md": lesson_file("First")},
    )

    report = load_bundle(read_bundle(root=root))

    assert report.created == ["testing", "testing/first"]
    lesson = Lesson.objects.get(course__slug="testing", slug="first")
    assert (lesson.title, lesson.summary, lesson.status) == ("First", "About First.", "published")


GOOD = {"good/_course.md": COURSE, "good/01-fine.md": lesson_file("Fine")}

MALFORMED = {
    "missing front matter": ("good/02-bare.md", "## Just text\n", "02-bare.md"),
    "front matter without a title": (
        "good/02-untitled.md",
        "---\nsummary: x\n---\nx\n",
        "02-untitled.md",
    ),
    "front matter that is not YAML": (
        "good/02-broken.md",
        "---\ntitle: [oops\n---\nx\n",
        "02-broken.md",
    ),
    "front matter with a YAML alias": (
        "good/02-alias.md",
        "---\ntitle: &t Alias\nsummary: *t\n---\nx\n",
        "02-alias.md: front matter refused: YAML anchors and aliases",
    ),
    "unknown demo": (
        "good/02-demo.md",
        lesson_file("Demo") + "\n```demo\nname: nosuch\n```\n",
        "good/02-demo.md",
    ),
    "HTML nested too deep": (
        "good/02-deep.md",
        lesson_file("Deep") + "\n" + "<div>" * 150 + "\n",
        "good/02-deep.md: The HTML nests more than 100 elements deep",
    ),
    "demo out of bounds": (
        "good/02-demo.md",
        lesson_file("Demo") + "\n```demo\nname: sleep\ntasks: 99\n```\n",
        "good/02-demo.md",
    ),
    "file name without a number": ("good/intro.md", lesson_file("Intro"), "intro.md"),
    "file name with capitals": ("good/02-Bad-Name.md", lesson_file("Bad"), "02-Bad-Name.md"),
    "unknown status": (
        "good/02-status.md",
        lesson_file("Status", "status: hidden\n"),
        "02-status.md",
    ),
    "course without a title": ("good/_course.md", "---\nsummary: x\n---\n", "_course.md"),
}


@pytest.mark.parametrize(("path", "text", "named"), MALFORMED.values(), ids=MALFORMED.keys())
def test_a_malformed_file_is_refused_naming_it(tmp_path, path, text, named):
    root = write_bundle(tmp_path, {**GOOD, path: text})

    with pytest.raises(ContentError) as caught:
        read_bundle(root=root)

    assert named in str(caught.value)


def test_a_course_folder_without_its_course_file_is_refused_naming_it(tmp_path):
    root = write_bundle(tmp_path, {**GOOD, "orphan/01-alone.md": lesson_file("Alone")})

    with pytest.raises(ContentError, match=r"orphan/_course\.md"):
        read_bundle(root=root)


def test_a_course_position_that_is_not_a_number_is_refused_naming_the_file(tmp_path):
    root = write_bundle(
        tmp_path,
        {**GOOD, "good/_course.md": "---\ntitle: Good\nposition: first\n---\n"},
    )

    with pytest.raises(ContentError, match=r"_course\.md"):
        read_bundle(root=root)


@pytest.mark.parametrize(("path", "text", "named"), MALFORMED.values(), ids=MALFORMED.keys())
def test_the_command_loads_nothing_from_a_malformed_bundle(
    tmp_path, monkeypatch, path, text, named
):
    # The bad file sorts after good ones: nothing read before it may be stored.
    root = write_bundle(tmp_path, {"aaa/_course.md": COURSE, **GOOD, path: text})
    monkeypatch.setattr(
        "lessons.management.commands.load_lessons.read_bundle",
        lambda: content_loader.read_bundle(root=root),
    )

    with pytest.raises(CommandError) as caught:
        load()

    assert "Nothing was loaded" in str(caught.value)
    assert named in str(caught.value)
    assert not Course.objects.exists()
    assert not Lesson.objects.exists()


def test_lessons_stored_by_an_older_renderer_are_rendered_again_without_a_new_version():
    load()
    lesson = Lesson.objects.filter(edited_by_staff=False).first()
    Lesson.objects.filter(pk=lesson.pk).update(body_html="<p>stale</p>", rendered_with=0)
    history_before = Lesson.history.count()

    output = load()

    fresh = Lesson.objects.get(pk=lesson.pk)
    assert fresh.body_html != "<p>stale</p>"
    assert fresh.rendered_with == content_loader.RENDERER_VERSION
    assert fresh.version == lesson.version
    assert Lesson.history.count() == history_before
    assert "rendered again with the current renderer: 1" in output


def test_a_stored_lesson_the_renderer_now_refuses_keeps_its_html_and_is_reported():
    load()
    lesson = Lesson.objects.filter(edited_by_staff=False).first()
    too_deep = "<div>" * 150 + "\n"  # stored before the nesting limit
    Lesson.objects.filter(pk=lesson.pk).update(
        body=too_deep, body_html="<p>as it was</p>", rendered_with=0
    )

    output = load()

    kept = Lesson.objects.get(pk=lesson.pk)
    assert (kept.body_html, kept.rendered_with) == ("<p>as it was</p>", 0)
    name = f"{lesson.course.slug}/{lesson.slug}"
    assert f"not rendered again, kept as it was (edit it): {name}: The HTML nests" in output


# ---------------------------------------------------------------------------
# Which lessons follow their files (a bundle of our own)


def load_from(root: Path, monkeypatch) -> str:
    monkeypatch.setattr(
        "lessons.management.commands.load_lessons.read_bundle",
        lambda: content_loader.read_bundle(root=root),
    )
    return load()


def test_an_untouched_lesson_is_refreshed_each_time_its_file_changes(tmp_path, monkeypatch):
    root = write_bundle(
        tmp_path, {"testing/_course.md": COURSE, "testing/01-first.md": lesson_file("First")}
    )
    load_from(root, monkeypatch)

    for title, status in (("First, revised", "draft"), ("First, again", "published")):
        write_bundle(
            root, {"testing/01-first.md": lesson_file(title, f"status: {status}\n") + "\nMore.\n"}
        )

        output = load_from(root, monkeypatch)

        lesson = Lesson.objects.get(course__slug="testing", slug="first")
        assert (lesson.title, lesson.status) == (title, status)
        assert lesson.body == "## Section\n\nWords.\n\nMore.\n"
        assert "updated: testing/first" in output
        assert "0 created, 1 updated, 0 kept" in output


def test_a_lesson_the_loader_never_loaded_is_kept(tmp_path, monkeypatch):
    root = write_bundle(
        tmp_path, {"testing/_course.md": COURSE, "testing/01-first.md": lesson_file("First")}
    )
    course = Course.objects.create(slug="testing", title="Ours")
    Lesson.objects.create(course=course, slug="first", title="Ours", body="Our words.\n")

    output = load_from(root, monkeypatch)

    lesson = Lesson.objects.get(course__slug="testing", slug="first")
    assert (lesson.title, lesson.body) == ("Ours", "Our words.\n")
    assert "kept (never loaded from its file): testing/first" in output


@pytest.mark.django_db(transaction=True)
def test_lessons_stored_before_the_migration_still_follow_their_files():
    bundled = read_bundle()[0]
    source = bundled.lessons[0]
    executor = MigrationExecutor(connection)
    before = [("lessons", "0004_demo_runs_moved_to_live")]
    executor.migrate(before)
    old = executor.loader.project_state(before).apps
    course = old.get_model("lessons", "Course").objects.create(
        slug=bundled.slug, title=bundled.title
    )
    # As an older file left it: the loader must still refresh it from today's.
    old.get_model("lessons", "Lesson").objects.create(
        course=course, slug=source.slug, title="Older title", body="Older words.\n",
        position=source.position, status=source.status,
    )  # fmt: skip

    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())
    output = load()

    lesson = Lesson.objects.get(course__slug=bundled.slug, slug=source.slug)
    assert (lesson.title, lesson.body) == (source.title, source.body)
    assert f"updated: {bundled.slug}/{source.slug}" in output
