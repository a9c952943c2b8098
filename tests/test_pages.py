"""Reader-facing pages: the course list, a course's lessons, a lesson, and who sees drafts."""

from urllib.parse import urlsplit

import pytest
from django.urls import reverse

from demos.registry import DEMOS
from lessons.models import Course, Lesson
from live.models import DemoRun

pytestmark = pytest.mark.django_db


def lesson_url(lesson: Lesson) -> str:
    return reverse("lessons:lesson", kwargs={"course": lesson.course.slug, "lesson": lesson.slug})


def course_url(course: Course) -> str:
    return reverse("lessons:course", kwargs={"course": course.slug})


def listed_lesson_titles(page) -> list[str]:
    items = page.find("ol", class_="lesson-list").find_all("li")
    return [a.text.strip() for li in items for a in li.find_all("a")]


# ---------------------------------------------------------------------------
# The course list


def test_home_lists_courses_by_position_then_title(client, html):
    Course.objects.create(title="Zeta", slug="zeta", position=2)
    Course.objects.create(title="Beta", slug="beta", position=1)
    Course.objects.create(title="Alpha", slug="alpha", position=2)

    response = client.get(reverse("lessons:home"))

    assert response.status_code == 200
    cards = html(response).find("ol", class_="cards").find_all("a")
    assert [a.text for a in cards] == ["Beta", "Alpha", "Zeta"]
    assert [a.attrs["href"] for a in cards] == [
        "/courses/beta/",
        "/courses/alpha/",
        "/courses/zeta/",
    ]


def test_home_shows_each_course_summary(client, course):
    response = client.get("/")

    assert course.summary in response.content.decode()


# ---------------------------------------------------------------------------
# A course's page


def test_course_page_lists_its_lessons_in_position_order(client, course, html):
    for position, slug in [(3, "third"), (1, "first"), (2, "second")]:
        Lesson.objects.create(
            course=course,
            position=position,
            slug=slug,
            title=slug.title(),
            body="x",
            status=Lesson.Status.PUBLISHED,
        )
    other = Course.objects.create(title="Other", slug="other")
    Lesson.objects.create(
        course=other, slug="elsewhere", title="Elsewhere", body="x", status="published"
    )

    response = client.get(course_url(course))

    assert response.status_code == 200
    assert listed_lesson_titles(html(response)) == ["First", "Second", "Third"]


def test_course_page_shows_reading_time_of_each_lesson(client, lessons, html):
    page = html(client.get(course_url(lessons.intro.course)))

    items = page.find("ol", class_="lesson-list").find_all("li")
    assert f"{lessons.intro.reading_minutes} min read" in items[0].text


def test_it_hides_drafts_from_anonymous_readers_in_the_course_list(client, lessons, html):
    response = client.get(course_url(lessons.intro.course))

    assert listed_lesson_titles(html(response)) == ["Introduction", "Where next"]
    assert "Work in progress" not in response.content.decode()


def test_it_hides_drafts_from_logged_in_readers_in_the_course_list(reader_client, lessons, html):
    response = reader_client.get(course_url(lessons.intro.course))

    assert response.status_code == 200
    assert listed_lesson_titles(html(response)) == ["Introduction", "Where next"]


def test_staff_see_drafts_in_the_course_list_marked_as_drafts(editor_client, lessons, html):
    response = editor_client.get(course_url(lessons.intro.course))

    assert response.status_code == 200
    page = html(response)
    assert listed_lesson_titles(page) == ["Introduction", "Work in progress", "Where next"]
    items = page.find("ol", class_="lesson-list").find_all("li")
    assert [bool(item.find(class_="badge-draft")) for item in items] == [False, True, False]


def test_unknown_course_is_not_found(client, lessons):
    assert client.get("/courses/no-such-course/").status_code == 404


# ---------------------------------------------------------------------------
# A lesson's page


def test_lesson_page_shows_title_body_and_reading_time(client, lessons, html):
    response = client.get(lesson_url(lessons.intro))

    assert response.status_code == 200
    page = html(response)
    assert page.find("h1").text == "Introduction"
    body = page.find("div", class_="lesson-body")
    assert "Waiting is what programs do most." in body.text
    assert body.find("pre", class_="highlight") is not None
    assert f"{lessons.intro.reading_minutes} min read" in page.find("p", class_="meta").text


def test_lesson_page_has_a_table_of_contents_linking_to_its_headings(client, lessons, html):
    page = html(client.get(lesson_url(lessons.intro)))

    toc_links = page.find("nav", class_="toc").find_all("a")
    assert [a.text for a in toc_links] == ["Why wait", "A closer look"]
    body = page.find("div", class_="lesson-body")
    heading_ids = {h.attrs["id"] for h in body.iter() if h.tag in {"h2", "h3"}}
    assert {a.attrs["href"].removeprefix("#") for a in toc_links} == heading_ids


def test_previous_and_next_skip_drafts_for_readers(client, lessons, html):
    first = html(client.get(lesson_url(lessons.intro)))
    last = html(client.get(lesson_url(lessons.outro)))

    assert first.find("a", rel="prev") is None
    assert first.find("a", rel="next").attrs["href"] == lesson_url(lessons.outro)
    assert last.find("a", rel="prev").attrs["href"] == lesson_url(lessons.intro)
    assert last.find("a", rel="next") is None


def test_previous_and_next_include_drafts_for_staff(editor_client, lessons, html):
    response = editor_client.get(lesson_url(lessons.intro))

    assert response.status_code == 200
    assert html(response).find("a", rel="next").attrs["href"] == lesson_url(lessons.draft)


def test_previous_and_next_stay_within_the_course(client, lessons, html):
    later = Course.objects.create(title="Later", slug="later", position=9)
    Lesson.objects.create(course=later, slug="beyond", title="Beyond", body="x", status="published")

    page = html(client.get(lesson_url(lessons.outro)))

    assert page.find("a", rel="next") is None


@pytest.mark.parametrize("who", ["anonymous", "reader"])
def test_a_draft_is_not_found_for_readers(who, client, reader_client, lessons):
    browser = client if who == "anonymous" else reader_client

    response = browser.get(lesson_url(lessons.draft))

    assert response.status_code == 404
    assert b"Secret draft words" not in response.content


def test_a_logged_in_reader_can_read_a_published_lesson(reader_client, lessons, html):
    response = reader_client.get(lesson_url(lessons.intro))

    assert response.status_code == 200
    assert html(response).find(class_="draft-banner") is None


def test_staff_see_a_draft_with_a_draft_banner(editor_client, lessons, html):
    response = editor_client.get(lesson_url(lessons.draft))

    assert response.status_code == 200
    page = html(response)
    assert "Draft" in page.find(class_="draft-banner").text
    assert "Secret draft words." in page.find("div", class_="lesson-body").text


def test_a_published_lesson_has_no_draft_banner(client, lessons, html):
    assert html(client.get(lesson_url(lessons.intro))).find(class_="draft-banner") is None


@pytest.mark.parametrize(
    "path",
    [
        "/courses/basics/no-such-lesson/",
        "/courses/no-such-course/intro/",
        "/courses/other/intro/",  # a real lesson under another course's address
    ],
)
def test_unknown_lesson_is_not_found(path, client, lessons):
    Course.objects.create(title="Other", slug="other")

    assert client.get(path).status_code == 404


def test_view_on_site_from_the_admin_previews_a_draft_for_staff(editor_client, lessons, html):
    change_page = html(
        editor_client.get(reverse("admin:lessons_lesson_change", args=[lessons.draft.pk]))
    )
    view_on_site = change_page.find("a", class_="viewsitelink")
    assert view_on_site is not None

    response = editor_client.get(view_on_site.attrs["href"], follow=True)

    assert urlsplit(response.redirect_chain[-1][0]).path == lesson_url(lessons.draft)
    assert response.status_code == 200
    assert html(response).find(class_="draft-banner") is not None


def test_lesson_page_shows_how_often_its_demo_ran(client, course, html):
    lesson = Lesson.objects.create(
        course=course,
        slug="demo",
        title="Demo",
        status="published",
        body="```demo\nname: sleep\n```\n",
    )
    for elapsed in (1.0, 3.0, 2.0):
        DemoRun.objects.create(
            demo="sleep", mode="sync", params={}, status="ok", elapsed=elapsed, timeline=[]
        )
    DemoRun.objects.create(
        demo="sleep", mode="sync", params={}, status="failed", elapsed=99.0, timeline=[]
    )

    page = html(client.get(lesson_url(lesson)))

    table_rows = page.find("section", class_="demo-stats").find_all("tr")[1:]
    rows = [[td.text for td in tr.find_all("td")] for tr in table_rows]
    assert ["sleep", "sync", "3", "2.00 s"] in rows
    assert ["sleep", "async", "0", "\N{EN DASH}"] in rows  # no runs: no median


@pytest.mark.parametrize("name", ["lessons:home", "lessons:demo-catalog"])
def test_pages_refuse_writes(name, client):
    assert client.post(reverse(name)).status_code == 405


def test_demo_catalog_describes_every_demo(client):
    response = client.get(reverse("lessons:demo-catalog"))

    assert response.status_code == 200
    demos = response.json()["demos"]
    assert set(demos) == set(DEMOS)  # tests/test_demo_catalog.py names them
    assert {p["name"] for p in demos["sleep"]["params"]} == {"tasks", "seconds"}
