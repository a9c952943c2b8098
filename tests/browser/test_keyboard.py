"""Keyboard use throughout: a skip link, a visible focus on every stop, demos run by keys.

Reduced motion keeps focus scrolling instant, so each picture is taken where
the focus really is.
"""

import re
from collections.abc import Callable

import pytest
from playwright.sync_api import Locator, Page, expect

from .widget import SLEEP_LESSON, DemoWidget

RING_ROOM = 8  # pixels around an element where a focus ring may be drawn
MAX_STOPS = 120


@pytest.fixture
def keyboard_page(new_page: Callable[..., Page]) -> Page:
    return new_page(viewport={"width": 1280, "height": 900}, reduced_motion="reduce")


def is_focused(locator: Locator) -> bool:
    return locator.evaluate("element => element === document.activeElement")


def tab_to(page: Page, target: Locator, key: str = "Tab") -> None:
    """Presses Tab until ``target`` has the focus, as a keyboard user would."""
    for _ in range(MAX_STOPS):
        page.keyboard.press(key)
        if is_focused(target):
            return
    raise AssertionError(f"{target} was not reached in {MAX_STOPS} presses of {key}")


def focus_shows(page: Page) -> tuple[bool, str]:
    """Whether the focused element looks different from the same element unfocused."""
    found = page.evaluate(
        """() => {
            const element = document.activeElement;
            const box = element.getBoundingClientRect();
            const name = element.textContent || element.getAttribute("aria-label") || "";
            const label = element.tagName.toLowerCase()
                + (element.className ? "." + String(element.className).split(" ")[0] : "")
                + " " + name.trim().slice(0, 40);
            return {x: box.x, y: box.y, width: box.width, height: box.height, label};
        }"""
    )
    viewport = page.viewport_size
    left, top = max(0, found["x"] - RING_ROOM), max(0, found["y"] - RING_ROOM)
    right = min(viewport["width"], found["x"] + found["width"] + RING_ROOM)
    bottom = min(viewport["height"], found["y"] + found["height"] + RING_ROOM)
    clip = {"x": left, "y": top, "width": right - left, "height": bottom - top}
    focused = page.screenshot(clip=clip)
    # The same element, unfocused, then focused again so Tab goes on from it.
    page.evaluate("() => { window.lastFocused = document.activeElement; lastFocused.blur(); }")
    unfocused = page.screenshot(clip=clip)
    page.evaluate("() => window.lastFocused.focus()")
    return focused != unfocused, found["label"]


def test_the_first_tab_reaches_the_skip_link_which_jumps_to_the_text(keyboard_page: Page) -> None:
    page = keyboard_page
    page.goto(SLEEP_LESSON)
    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Skip to content")
    expect(skip).to_be_focused()
    expect(skip).to_be_in_viewport()

    page.keyboard.press("Enter")
    expect(page.locator("main")).to_be_focused()
    # The next Tab goes on from the text, not from the top of the page again.
    page.keyboard.press("Tab")
    assert page.evaluate("document.querySelector('main').contains(document.activeElement)")


def test_every_stop_on_a_lesson_shows_where_the_focus_is(keyboard_page: Page) -> None:
    page = keyboard_page
    widget = DemoWidget.open(page, SLEEP_LESSON)
    last = widget.button("Cancel")
    invisible = []
    stops = 0
    while not is_focused(last):
        stops += 1
        assert stops <= MAX_STOPS, "the demo's buttons were not reached by Tab"
        page.keyboard.press("Tab")
        shows, label = focus_shows(page)
        if not shows:
            invisible.append(label)
    assert stops > 15  # the header, contents, text links, code and the demo's fields
    assert invisible == [], f"no visible focus on: {invisible}"


def test_a_demo_runs_from_the_keyboard_alone(keyboard_page: Page) -> None:
    page = keyboard_page
    widget = DemoWidget.open(page, SLEEP_LESSON)
    tasks = widget.field("Tasks")
    tab_to(page, tasks)
    page.keyboard.press("ControlOrMeta+a")
    page.keyboard.type("2")
    page.keyboard.press("Tab")
    page.keyboard.press("ControlOrMeta+a")
    page.keyboard.type("0.2")
    tab_to(page, widget.button("Run async"))
    page.keyboard.press("Enter")
    widget.wait_for("done")
    expect(widget.console_lines("async", kind="output")).to_have_count(2)

    # Enter in a field runs the first version, as the form's first button.
    tasks.focus()
    page.keyboard.press("Enter")
    widget.wait_for("running")
    widget.wait_for("done")
    expect(widget.console_lines("sync", kind="output")).to_have_count(2)


def test_the_code_tabs_follow_the_arrow_keys(keyboard_page: Page) -> None:
    page = keyboard_page
    widget = DemoWidget.open(page, SLEEP_LESSON)
    sync_tab = widget.root.get_by_role("tab", name="sync", exact=True)
    async_tab = widget.root.get_by_role("tab", name="async", exact=True)
    expect(sync_tab).to_have_attribute("aria-selected", "true")
    tab_to(page, sync_tab)

    page.keyboard.press("ArrowRight")
    expect(async_tab).to_be_focused()
    expect(async_tab).to_have_attribute("aria-selected", "true")
    expect(widget.root.get_by_role("tabpanel")).to_contain_text(re.compile(r"async def"))
    page.keyboard.press("Home")
    expect(sync_tab).to_be_focused()
    expect(sync_tab).to_have_attribute("aria-selected", "true")
