"""The reader's progress, kept in the browser: across reloads, on the course page, and cleared."""

import re
from collections.abc import Callable

from playwright.sync_api import Page, expect

from .widget import SLEEP_LESSON, DemoWidget

COURSE = "/courses/asyncio/"
LESSON = "/courses/asyncio/the-event-loop/"
DESKTOP = {"width": 1280, "height": 900}
# What a browser with site data blocked does when a page touches localStorage.
STORAGE_BLOCKED = """
Object.defineProperty(window, "localStorage", {
  get() { throw new DOMException("The operation is insecure.", "SecurityError"); },
});
"""


def open_lesson(page: Page) -> None:
    """The lesson, once its quizzes are wired (their controls are there before)."""
    page.goto(LESSON)
    expect(page.locator(".quiz:not([data-ready])")).to_have_count(0)


def quiz(page: Page, number: int):
    return page.get_by_role("region", name=f"Question {number}")


def answer_number(page: Page, value: str) -> None:
    section = quiz(page, 4)
    section.get_by_label("Your answer").fill(value)
    section.get_by_role("button", name="Check").click()
    expect(section.locator(".quiz-feedback .quiz-verdict")).to_be_visible()


def progress_of(page: Page, title: str):
    item = page.locator(".lesson-item").filter(has=page.get_by_role("link", name=title, exact=True))
    return item.locator(".lesson-progress")


def read_to_the_end(page: Page) -> None:
    page.locator(".lesson-body > :last-child").scroll_into_view_if_needed()
    page.wait_for_function(
        "() => Object.values(JSON.parse(localStorage.getItem('progress-v1')).lessons)"
        ".some((lesson) => lesson.read)"
    )


def test_answers_and_reading_are_kept_across_a_reload_and_shown_on_the_course_page(
    page: Page,
) -> None:
    page.goto(COURSE)
    expect(progress_of(page, "The event loop")).to_have_text("Not started")

    open_lesson(page)
    answer_number(page, "6")  # wrong
    answer_number(page, "2")  # then right
    wrong = quiz(page, 2)
    wrong.get_by_label("time.sleep(0.1)").check()
    wrong.get_by_role("button", name="Check").click()
    read_to_the_end(page)

    page.reload()
    expect(quiz(page, 4).locator(".quiz-kicker")).to_have_text("Question 4 · right last time")
    expect(quiz(page, 2).locator(".quiz-kicker")).to_have_text("Question 2 · not yet right")
    expect(quiz(page, 1).locator(".quiz-kicker")).to_have_text("Question 1")

    page.goto(COURSE)
    expect(progress_of(page, "The event loop")).to_have_text("Read · 1 of 4 questions right")
    expect(progress_of(page, "Concurrency vs parallelism")).to_have_text("Not started")

    page.goto("/")
    continuing = page.locator(".continue")
    expect(continuing).to_have_text("Continue where you left off: The event loop")
    continuing.get_by_role("link", name="The event loop").click()
    expect(page).to_have_url(re.compile(re.escape(LESSON) + "$"))


def test_finished_demo_runs_are_counted(page: Page) -> None:
    widget = DemoWidget.open(page, SLEEP_LESSON)
    widget.fill(Tasks=1, Seconds_per_task=0.05)
    widget.run("Race both")
    page.goto(COURSE)
    expect(progress_of(page, "Blocking vs non-blocking code")).to_have_text(
        re.compile(r"^Opened · 2 demo runs$|^Read · 2 demo runs$")
    )


def test_starting_a_lesson_over_asks_first_then_clears_it_alone(page: Page) -> None:
    page.goto("/courses/asyncio/concurrency-vs-parallelism/")
    page.wait_for_function("() => (localStorage.getItem('progress-v1') || '').includes('lessons')")
    open_lesson(page)
    answer_number(page, "2")

    reset = page.locator(".progress-reset")
    start_over = reset.get_by_role("button", name="Start this lesson over")
    start_over.click()
    expect(reset.locator(".progress-question")).to_contain_text("this lesson")
    expect(reset.get_by_role("button", name="Cancel")).to_be_focused()
    reset.get_by_role("button", name="Cancel").click()
    expect(page.locator(".progress-note")).to_have_text("Nothing was cleared.")
    expect(start_over).to_be_focused()

    start_over.click()
    reset.get_by_role("button", name="Yes, start over").click()
    expect(page.locator(".progress-note")).to_have_text(
        "Cleared. This lesson starts afresh when you next open it."
    )

    page.goto(COURSE)
    expect(progress_of(page, "The event loop")).to_have_text("Not started")
    opened = re.compile("^Opened|^Read")
    expect(progress_of(page, "Concurrency vs parallelism")).to_have_text(opened)


def test_starting_everything_over_from_the_course_page(page: Page) -> None:
    open_lesson(page)
    answer_number(page, "2")
    page.goto(COURSE)
    expect(progress_of(page, "The event loop")).not_to_have_text("Not started")

    page.get_by_role("button", name="Start over: clear my progress").click()
    page.get_by_role("button", name="Yes, start over").click()

    expect(progress_of(page, "The event loop")).to_have_text("Not started")
    page.goto("/")
    expect(page.locator(".continue")).to_have_text("")


def test_with_storage_blocked_the_site_works_as_before(new_page: Callable[..., Page]) -> None:
    page = new_page(viewport=DESKTOP)
    page.add_init_script(STORAGE_BLOCKED)
    open_lesson(page)
    # Quizzes still answer; nothing about progress shows, and no script fails
    # (the page fixture fails the test on any script error).
    answer_number(page, "2")
    expect(quiz(page, 4).locator(".quiz-feedback")).to_contain_text("Right")
    expect(page.get_by_role("button", name="Start this lesson over")).to_be_hidden()
    page.goto(COURSE)
    expect(page.locator(".lesson-progress").first).to_be_hidden()
    page.goto("/")
    expect(page.locator(".continue")).to_be_hidden()
