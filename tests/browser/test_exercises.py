"""A graded exercise on a real lesson page, run for real in a sandbox.

"Coroutines and futures" holds the exercise "Make the sleeps overlap": three
one-second sleeps that run one after another. The reader runs the starting
program, sees which goals failed and by how much, takes a hint, puts the
solution in the editor, passes, and finds the pass counted in the course's
progress.
"""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from playwright.sync_api import Locator, Page, expect

from .accessibility import in_both_themes
from .test_keyboard import tab_to

LESSON = "/courses/asyncio/coroutines-and-futures/"
COURSE = "/courses/asyncio/"
PHONE = {"width": 360, "height": 780}
RUN_TIMEOUT_MS = 30_000


@pytest.fixture
def reader(new_sandbox_page: Callable[..., Page]) -> Page:
    return new_sandbox_page(viewport=PHONE)


def exercise(page: Page) -> Locator:
    page.goto(LESSON)
    section = page.get_by_role("region", name="Make the sleeps overlap")
    expect(section).to_have_class("exercise is-ready")
    return section


def goal(section: Locator, kind: str) -> Locator:
    return section.locator(f".exercise-goal[data-kind='{kind}']")


def run(section: Locator, verdict: str) -> None:
    section.get_by_role("button", name="Run my version").click()
    expect(section).to_have_attribute("data-verdict", verdict, timeout=RUN_TIMEOUT_MS)


def test_a_reader_fails_the_start_takes_a_hint_then_passes_and_it_counts(reader: Page) -> None:
    section = exercise(reader)
    expect(goal(section, "total_under")).to_contain_text("The whole run takes under 1.5 s.")

    run(section, "failed")
    total = goal(section, "total_under")
    expect(total).to_have_attribute("data-verdict", "failed")
    # Three one-second sleeps in a row take three seconds at least, however loaded the machine.
    expect(total.locator(".exercise-goal-figure")).to_have_text(
        re.compile(r"Failed: total ([3-9]|\d\d)\.\d\d s; needs under 1\.5 s")
    )
    expect(goal(section, "running_at_least")).to_contain_text(
        "peak 1 running at once; needs at least 3"
    )
    expect(goal(section, "no_exception")).to_have_attribute("data-verdict", "passed")
    expect(goal(section, "no_exception").get_by_role("button")).to_be_hidden()
    status = section.locator(".exercise-status")
    expect(status).to_contain_text("3 of 5 goals met")
    # A failed goal points at its moment in the timeline.
    total.get_by_role("button", name="Show 1.50 s in the timeline").click()
    expect(section.locator(".tl-group.has-cursor")).to_have_count(1)
    expect(status).to_contain_text("The timeline marks 1.50 s")

    section.get_by_role("button", name="Show a hint").click()
    expect(section.locator(".exercise-hint-count")).to_have_text("Hint 1 of 3")
    expect(section.locator(".exercise-hint").first).to_be_visible()
    expect(section.locator(".exercise-hint").nth(1)).to_be_hidden()

    section.locator(".exercise-solution summary").click()
    section.get_by_role("button", name="Put the solution in my editor").click()
    expect(section.locator(".cm-content")).to_contain_text("asyncio.gather")
    run(section, "passed")
    expect(status).to_contain_text("Exercise passed: all 5 goals met.")
    expect(section.locator(".exercise-solution")).to_have_attribute("open", "")
    expect(section.locator(".exercise-compare")).to_contain_text("the same as the solution")

    # Nothing is wider than the phone, and axe finds nothing serious, light or dark.
    assert reader.evaluate("document.documentElement.scrollWidth - window.innerWidth") <= 0
    assert in_both_themes(reader) == []

    reader.goto(COURSE)
    expect(reader.locator(".lesson-progress").filter(has_text="exercise passed")).to_contain_text(
        "1 of 1 exercise passed"
    )


def test_reset_brings_back_the_starting_code_and_the_solution_compares(reader: Page) -> None:
    section = exercise(reader)
    editor = section.locator(".cm-content")
    editor.click()
    reader.keyboard.press("Control+End")
    reader.keyboard.type("print('mine')")
    section.locator(".exercise-solution summary").click()
    expect(section.locator(".exercise-compare")).to_contain_text("lines differ")
    expect(section.locator(".exercise-compare li[data-kind='yours']").first).to_be_visible()
    section.get_by_role("button", name="Reset to the starting code").click()
    expect(section.locator(".exercise-status")).to_contain_text("Back to the starting code")
    expect(editor).not_to_contain_text("print('mine')")

    # The hints answer the keyboard alone, and say where the reader is.
    hint = section.get_by_role("button", name="Show a hint")
    reader.keyboard.press("Escape")  # out of the editor, where Tab indents
    tab_to(reader, hint)
    reader.keyboard.press("Enter")
    expect(section.locator(".exercise-hint-count")).to_have_text("Hint 1 of 3")
    reader.keyboard.press("Enter")
    reader.keyboard.press("Enter")
    expect(section.locator(".exercise-hint-count")).to_have_text("Hint 3 of 3")
    expect(section.get_by_role("button", name="No more hints")).to_be_disabled()


def test_a_cancelled_run_is_graded_as_not_ended_and_can_run_again(reader: Page) -> None:
    section = exercise(reader)
    section.get_by_role("button", name="Run my version").click()
    expect(section.locator(".tl-lane").first).to_be_attached(timeout=RUN_TIMEOUT_MS)
    section.get_by_role("button", name="Cancel").click()
    expect(section).to_have_attribute("data-verdict", "failed", timeout=RUN_TIMEOUT_MS)
    expect(goal(section, "total_under")).to_contain_text("the run was cancelled")
    expect(section.get_by_role("button", name="Run my version")).to_be_enabled()
    expect(section.get_by_role("button", name="Cancel")).to_be_disabled()


def test_without_javascript_the_exercise_reads_whole(
    new_sandbox_page: Callable[..., Page],
) -> None:
    page = new_sandbox_page(java_script_enabled=False)
    page.goto(LESSON)
    section = page.get_by_role("region", name="Make the sleeps overlap")
    expect(section.locator(".exercise-start")).to_contain_text("asyncio.create_task")
    expect(section.locator(".exercise-hint")).to_have_count(3)
    for index in range(3):
        expect(section.locator(".exercise-hint").nth(index)).to_be_visible()
    expect(section.get_by_role("button", name="Run my version")).to_be_hidden()
    expect(section.locator(".exercise-solution-code")).to_be_hidden()
    section.get_by_text("Show the solution").click()
    expect(section.locator(".exercise-solution-code")).to_contain_text("asyncio.gather")
