"""A reader finds their way from the home page to a lesson and on, by links alone."""

import re

from playwright.sync_api import Page, expect

COURSE = "Asynchronous programming with asyncio"
FIRST_LESSON = "Concurrency vs parallelism"
SECOND_LESSON = "Blocking vs non-blocking code"


def test_home_to_a_course_a_lesson_and_the_next_lesson_by_links(page: Page) -> None:
    page.goto("/")
    expect(page.get_by_role("heading", level=1)).to_have_text("See concurrency happen")

    page.get_by_role("link", name=COURSE, exact=True).click()
    expect(page).to_have_url(re.compile(r"/courses/asyncio/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text(COURSE)
    expect(page).to_have_title(re.compile(f"^{COURSE}"))

    page.get_by_role("link", name=FIRST_LESSON, exact=True).click()
    expect(page).to_have_url(re.compile(r"/courses/asyncio/concurrency-vs-parallelism/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text(FIRST_LESSON)
    expect(page.locator(".lesson-header .meta")).to_contain_text(re.compile(r"\d+ min read"))
    # The first lesson has no previous one.
    lessons_nav = page.get_by_role("navigation", name="Lessons")
    expect(lessons_nav.get_by_role("link", name=re.compile("^Previous"))).to_have_count(0)

    lessons_nav.get_by_role("link", name=re.compile(f"^Next {SECOND_LESSON}$")).click()
    expect(page).to_have_url(re.compile(r"/courses/asyncio/blocking-vs-non-blocking/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text(SECOND_LESSON)

    lessons_nav.get_by_role("link", name=re.compile(f"^Previous {FIRST_LESSON}$")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(FIRST_LESSON)


def test_breadcrumbs_lead_back_to_the_course_and_home(page: Page) -> None:
    page.goto("/courses/asyncio/the-event-loop/")
    crumbs = page.get_by_role("navigation", name="Breadcrumbs")
    expect(crumbs.locator("[aria-current='page']")).to_have_text("The event loop")

    crumbs.get_by_role("link", name=COURSE).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(COURSE)
    page.get_by_role("navigation", name="Breadcrumbs").get_by_role("link", name="Courses").click()
    expect(page).to_have_url(re.compile(r"/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("See concurrency happen")
