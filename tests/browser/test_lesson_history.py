"""Staff read a lesson's history as diffs and revert a save, by mouse and by keyboard.

Each test adds its own lines to "The event loop" and reverts to the version
just before its save, so it undoes its own edit whatever other tests saved.
"""

import re
from collections.abc import Callable

from playwright.sync_api import Page, expect

from .accessibility import in_both_themes
from .test_admin_edit import LESSON_PATH, LESSON_TITLE, open_lesson_in_admin
from .test_keyboard import tab_to


def save_with_added_lines(page: Page, *lines: str) -> None:
    open_lesson_in_admin(page)
    body = page.get_by_label("Body")
    body.fill(body.input_value().rstrip() + "\n\n" + "\n".join(lines) + "\n")
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.locator(".messagelist")).to_contain_text("was changed successfully")
    # The saved lesson is named in the message too: open it from the list.
    page.locator("#result_list").get_by_role("link", name=LESSON_TITLE, exact=True).click()
    expect(page.get_by_role("heading", name="Change lesson")).to_be_visible()


def expect_added(page: Page, *lines: str) -> None:
    """The newest version's diff shows ``lines`` as added, in words as well as colour."""
    newest = page.locator(".lesson-version").first
    for line in lines:
        row = newest.locator("tr.diff-added").filter(has_text=line)
        expect(row).to_have_count(1)
        expect(row.locator(".diff-sign")).to_have_text(re.compile(r"^\+\s*added$"))


def expect_reverted(new_page: Callable[..., Page], *lines: str) -> None:
    reader = new_page()
    reader.goto(LESSON_PATH)
    expect(reader.locator("h1")).to_have_text(LESSON_TITLE)
    for line in lines:
        expect(reader.locator(".lesson-body")).not_to_contain_text(line)


def test_staff_see_the_lines_a_save_added_and_revert_it(
    staff_page: Page, new_page: Callable[..., Page]
) -> None:
    first, second = "History test: a first added line.", "History test: a second added line."
    page = staff_page
    save_with_added_lines(page, first, second)

    page.get_by_role("link", name="History").click()
    expect(page.get_by_role("heading", name="Every version, newest first")).to_be_visible()
    expect_added(page, first, second)
    page.locator(".lesson-version").first.get_by_role(
        "link", name=re.compile("^Compare with the version before")
    ).click()
    compare = page.locator("#compare")
    expect(compare.locator("tr.diff-added").filter(has_text=first)).to_have_count(1)
    assert in_both_themes(page) == []

    page.locator(".lesson-version").nth(1).get_by_role(
        "link", name=re.compile("^Revert to this version")
    ).click()
    changes = page.locator(".revert-changes")
    expect(changes.locator("tr.diff-removed").filter(has_text=first)).to_have_count(1)
    assert in_both_themes(page) == []
    page.get_by_role("button", name="Revert", exact=True).click()

    expect(page.locator(".messagelist")).to_contain_text("was changed successfully")
    expect_reverted(new_page, first, second)


def test_staff_compare_versions_and_revert_by_keyboard(
    staff_page: Page, new_page: Callable[..., Page]
) -> None:
    line = "History test: a line added to be reverted by keyboard."
    page = staff_page
    save_with_added_lines(page, line)

    tab_to(page, page.get_by_role("link", name="History"))
    page.keyboard.press("Enter")
    expect_added(page, line)

    # Choose the version before the newest as the first of the two to compare.
    versions = page.locator("#compare-from option")
    older = versions.nth(versions.count() - 2)
    tab_to(page, page.locator("#compare-from"))
    page.keyboard.press("End")
    page.keyboard.press("ArrowUp")
    expect(page.locator("#compare-from")).to_have_value(older.get_attribute("value"))
    tab_to(page, page.get_by_role("button", name="Compare", exact=True))
    page.keyboard.press("Enter")
    expect(page.locator("#compare tr.diff-added").filter(has_text=line)).to_have_count(1)

    # The newest version's diff folds away and opens again from its summary.
    summary = page.locator(".lesson-version").first.locator("summary")
    tab_to(page, summary)
    page.keyboard.press("Enter")
    expect(page.locator(".lesson-version").first.locator("tr.diff-added").first).to_be_hidden()
    page.keyboard.press("Enter")
    expect_added(page, line)

    revert = (
        page.locator(".lesson-version")
        .nth(1)
        .get_by_role("link", name=re.compile("^Revert to this version"))
    )
    tab_to(page, revert)
    page.keyboard.press("Enter")
    expect(page.locator(".revert-changes tr.diff-removed").filter(has_text=line)).to_have_count(1)
    tab_to(page, page.get_by_role("button", name="Revert", exact=True))
    page.keyboard.press("Enter")

    expect(page.locator(".messagelist")).to_contain_text("was changed successfully")
    expect_reverted(new_page, line)
