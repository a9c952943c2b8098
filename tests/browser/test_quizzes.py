"""Quizzes on a real lesson page: answered wrong then right, by mouse and by keyboard.

"The event loop" ends with one quiz of each kind: lines to put in order, a
multiple choice with two right answers, one with a single right answer, and a
number. Each test answers as a reader would and reads what the page says back.
"""

from collections.abc import Callable

import pytest
from playwright.sync_api import Locator, Page, expect

from .accessibility import in_both_themes
from .test_keyboard import tab_to

LESSON = "/courses/asyncio/the-event-loop/"
PHONE = {"width": 360, "height": 780}
RIGHT_ORDER = ["A step 0", "B step 0", "B step 1", "A step 1", "B step 2", "A step 2"]


def quiz(page: Page, number: int) -> Locator:
    return page.get_by_role("region", name=f"Question {number}")


def check(section: Locator) -> Locator:
    """Presses Check; the feedback it gives."""
    section.get_by_role("button", name="Check").click()
    return section.locator(".quiz-feedback")


def lines(section: Locator) -> list[str]:
    return [text.strip() for text in section.locator(".quiz-line-text").all_text_contents()]


def open_lesson(page: Page) -> None:
    """The lesson, once quiz.js has wired its quizzes: their controls are in the
    page from the start, and a press before that would do nothing."""
    page.goto(LESSON)
    expect(page.locator(".quiz:not([data-ready])")).to_have_count(0)


@pytest.fixture
def lesson(page: Page) -> Page:
    open_lesson(page)
    return page


def test_lines_are_put_in_order_with_the_buttons_and_checked(lesson: Page) -> None:
    section = quiz(lesson, 1)
    assert sorted(lines(section)) == sorted(RIGHT_ORDER)
    assert lines(section) != RIGHT_ORDER  # shown shuffled

    feedback = check(section)
    expect(feedback).to_contain_text("Not quite.")
    expect(feedback).to_contain_text(f"of {len(RIGHT_ORDER)} lines are in their place")
    expect(section.locator('.quiz-lines > li[data-verdict="wrong"]').first).to_be_visible()

    # Sorting by "Move up" alone: each line climbs to its place.
    for place, text in enumerate(RIGHT_ORDER):
        while lines(section).index(text) > place:
            section.get_by_role("button", name=f"Move “{text}” up").click()
    assert lines(section) == RIGHT_ORDER
    expect(section.get_by_role("button", name="Move “A step 0” up")).to_be_disabled()

    feedback = check(section)
    expect(feedback).to_contain_text("Right: that is the order.")
    expect(feedback).to_contain_text("B's are due first")
    expect(section).to_have_attribute("data-answered", "right")


def test_lines_can_be_ordered_by_keyboard_alone(new_page: Callable[..., Page]) -> None:
    page = new_page(viewport={"width": 1280, "height": 900}, reduced_motion="reduce")
    open_lesson(page)
    section = quiz(page, 1)
    first = section.locator(".quiz-lines > li").first.locator(".quiz-down")
    tab_to(page, first)
    moved = lines(section)[0]
    page.keyboard.press("Enter")
    assert lines(section)[1] == moved
    # The focus stays on the line that moved, so pressing again moves it further.
    page.keyboard.press("Enter")
    assert lines(section)[2] == moved
    expect(section.locator(".visually-hidden[aria-live]")).to_have_text(
        f"“{moved}” is now line 3 of {len(RIGHT_ORDER)}."
    )


def test_a_wrong_choice_is_explained_and_several_right_ones_are_needed(lesson: Page) -> None:
    section = quiz(lesson, 2)
    expect(section.get_by_text("More than one choice is right: choose them all.")).to_be_visible()

    feedback = check(section)
    expect(feedback).to_have_text("Choose an answer first.")

    section.get_by_label("time.sleep(0.1)").check()
    feedback = check(section)
    expect(feedback).to_contain_text("Not quite.")
    expect(feedback).to_contain_text("It blocks the whole thread")
    expect(section).to_have_attribute("data-answered", "wrong")

    section.get_by_label("time.sleep(0.1)").uncheck()
    section.get_by_label("await asyncio.sleep(0)").check()
    feedback = check(section)
    expect(feedback).to_contain_text("another choice is right too")

    section.get_by_label("on a future that is not done yet").check()
    feedback = check(section)
    expect(feedback).to_contain_text("Right.")
    expect(feedback).to_contain_text("even with a zero delay")
    expect(section).to_have_attribute("data-answered", "right")


def test_a_single_choice_is_answered_by_keyboard(new_page: Callable[..., Page]) -> None:
    page = new_page(viewport={"width": 1280, "height": 900}, reduced_motion="reduce")
    open_lesson(page)
    section = quiz(page, 3)
    radios = section.get_by_role("radio")
    expect(radios).to_have_count(3)
    tab_to(page, radios.first)
    page.keyboard.press("ArrowDown")  # moves to, and picks, the second choice
    expect(radios.nth(1)).to_be_checked()
    tab_to(page, section.get_by_role("button", name="Check"))
    page.keyboard.press("Enter")
    feedback = section.locator(".quiz-feedback")
    expect(feedback).to_contain_text("The event loop never interrupts a task.")

    radios.nth(1).focus()
    page.keyboard.press("ArrowUp")
    expect(radios.first).to_be_checked()
    tab_to(page, section.get_by_role("button", name="Check"))
    page.keyboard.press("Enter")
    expect(feedback).to_contain_text("Right.")
    expect(feedback).to_contain_text("cut into pieces")


def test_a_number_is_right_within_its_tolerance(lesson: Page) -> None:
    section = quiz(lesson, 4)
    answer = section.get_by_label("Your answer")

    answer.fill("six")
    expect(check(section)).to_have_text("Type a number, such as 1.5.")

    answer.fill("6")
    feedback = check(section)
    expect(feedback).to_contain_text("Not quite: 6 is too high.")
    expect(feedback).to_contain_text("fall due together")

    answer.fill("2,1")  # a decimal comma is read as a point
    answer.press("Enter")
    expect(section.locator(".quiz-feedback")).to_contain_text("Right: 2 s.")


def test_without_javascript_each_question_shows_its_answer_on_request(
    new_page: Callable[..., Page],
) -> None:
    page = new_page(viewport={"width": 1280, "height": 900}, java_script_enabled=False)
    page.goto(LESSON)
    section = quiz(page, 4)
    expect(section.get_by_role("button", name="Check")).to_have_count(0)
    expect(section.locator(".quiz-right-number")).to_be_hidden()
    section.get_by_text("Show the answer").click()
    expect(section.locator(".quiz-right-number")).to_have_text(
        "The answer: 2 s (anything from 1.8 to 2.2 counts)."
    )


def test_answered_quizzes_pass_axe_in_both_themes_at_phone_width(
    new_page: Callable[..., Page],
) -> None:
    page = new_page(viewport=PHONE)
    open_lesson(page)
    section = quiz(page, 2)
    section.get_by_label("time.sleep(0.1)").check()
    expect(check(section)).to_contain_text("Not quite.")
    order = quiz(page, 1)
    expect(check(order)).to_contain_text("Not quite.")
    number = quiz(page, 4)
    number.get_by_label("Your answer").fill("2")
    expect(check(number)).to_contain_text("Right")
    number.get_by_text("Show the answer").click()

    # Nothing is wider than the phone's screen.
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0
    assert in_both_themes(page) == []
