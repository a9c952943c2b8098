"""prefers-reduced-motion: the timeline stops animating, and only moves when the server reports.

One task of 5 s gives a long stretch without any message: a bar that grows
then is animated by the page, a bar that stays put is redrawn only on news.
The run is cancelled once seen.
"""

from collections.abc import Callable

import pytest
from playwright.sync_api import Locator, Page, expect

from .widget import SLEEP_LESSON, DemoWidget

# Long enough that a bar growing every frame would gain many pixels.
STILL_FOR_MS = 800


def start_a_long_run(page: Page) -> DemoWidget:
    widget = DemoWidget.open(page, SLEEP_LESSON)
    widget.fill(Tasks=1, Seconds_per_task=5)
    widget.press("Run async")
    expect(widget.lanes("async", state="running")).to_have_count(1)
    return widget


def running_bar(widget: DemoWidget) -> Locator:
    return widget.lanes("async", state="running").locator(".tl-bar")


def bar_width(bar: Locator) -> str:
    return bar.evaluate("bar => getComputedStyle(bar).width")


@pytest.mark.parametrize(("motion", "pulse"), [("no-preference", "demo-pulse"), ("reduce", "none")])
def test_the_timeline_animates_only_when_motion_is_welcome(
    new_page: Callable[..., Page], motion: str, pulse: str
) -> None:
    page = new_page(viewport={"width": 1280, "height": 900}, reduced_motion=motion)
    widget = start_a_long_run(page)
    bar = running_bar(widget)
    width = bar_width(bar)

    if motion == "reduce":
        page.wait_for_timeout(STILL_FOR_MS)  # time passes with no message from the server
        expect(widget.root).to_have_attribute("data-state", "running")
        assert bar_width(bar) == width
    else:
        expect(bar).not_to_have_css("width", width)
    expect(widget.root.locator(".demo-live-dot")).to_have_css("animation-name", pulse)

    widget.press("Cancel")
    widget.wait_for("done")
