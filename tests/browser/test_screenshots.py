"""Pictures of what readers see: a lesson just after a finished race.

Taken in light and dark, at a desktop and a phone width. ``make screenshots``
saves them in docs/screenshots/ (named in the README), so anyone can look at
the page without running it; an ordinary test run keeps them in its temporary
folder and leaves the published ones alone.
Each picture frames the lesson's "Try it" section: the text that introduces
the demo and the whole widget with its results, timeline and console.

The test also checks what the pictures must show, so a broken page cannot be
saved as if it were fine.
"""

import os
import re
from collections.abc import Callable
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from .widget import SLEEP_LESSON, DemoWidget

# Where to save them; unset, the test's own temporary folder.
SAVE_IN = os.environ.get("SCREENSHOTS_DIR", "")
WIDTHS = {"desktop": 1280, "phone": 360}
MARGIN = 24


@pytest.mark.parametrize("device", list(WIDTHS))
def test_a_lesson_after_a_race_in_light_and_dark(
    new_page: Callable[..., Page], device: str, tmp_path: Path
) -> None:
    folder = Path(SAVE_IN) if SAVE_IN else tmp_path
    width = WIDTHS[device]
    page = new_page(viewport={"width": width, "height": 900}, color_scheme="light")
    widget = DemoWidget.open(page, SLEEP_LESSON)
    widget.fill(Tasks=3, Seconds_per_task=0.5)
    widget.run("Race both")
    expect(widget.speedup).to_have_text(re.compile(r"^async was .+\u00d7 faster$"))
    expect(widget.console_lines("sync", kind="output")).to_have_count(3)
    expect(widget.console_lines("async", kind="output")).to_have_count(3)
    # Nothing may stick out sideways, at any width.
    assert page.evaluate("document.documentElement.scrollWidth") <= width

    # Frame the section: from its heading to the end of the widget.
    # Boxes are relative to the window; the scroll offset makes them page positions.
    scrolled = page.evaluate("window.scrollY")
    heading = page.get_by_role("heading", name="Try it", exact=True).bounding_box()
    box = widget.root.bounding_box()
    top = scrolled + heading["y"] - MARGIN
    bottom = scrolled + box["y"] + box["height"] + MARGIN
    page.set_viewport_size({"width": width, "height": round(bottom - top)})
    page.evaluate("top => window.scrollTo({top, behavior: 'instant'})", top)
    page.mouse.move(0, 0)  # no hover effect left where the last click was

    folder.mkdir(parents=True, exist_ok=True)
    for scheme in ("light", "dark"):
        page.emulate_media(color_scheme=scheme)
        expect(page.locator("[data-theme-toggle]")).to_have_attribute(
            "aria-pressed", str(scheme == "dark").lower()
        )
        path = folder / f"lesson-race-{device}-{scheme}.png"
        page.screenshot(path=path, animations="disabled")
        assert path.stat().st_size > 10_000
