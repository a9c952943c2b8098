"""Pages hold still: nothing moves once painted, on every lesson, at desktop and phone width.

Chromium reports each layout shift to a PerformanceObserver (the figure
Lighthouse sums as its cumulative layout shift). Each page is loaded fresh,
its demos are left to mount, and the shifts not caused by the reader are
added up. A reader who has been here before is measured too: the progress
slots are filled then. So is a reader who came by a room's join link, whose
banner comes once the page's scripts run, and staff, whose room panel the
script adds and the server's answer fills in.
"""

import re
import time
from collections.abc import Callable

import pytest
from playwright.sync_api import Locator, Page, WebSocketRoute, expect

from lessons.content_loader import read_bundle

from .test_rooms import open_room
from .widget import SLEEP_LESSON

LIMIT = 0.02
VIEWPORTS = {"desktop": {"width": 1280, "height": 900}, "phone": {"width": 360, "height": 780}}
LESSONS = [f"/courses/{c.slug}/{lesson.slug}/" for c in read_bundle() for lesson in c.lessons]
OTHER_PAGES = ["/", "/courses/asyncio/", "/courses/async-django/"]

WATCH_SHIFTS = """
window.__shifts = [];
new PerformanceObserver((list) => {
  for (const entry of list.getEntries()) {
    if (entry.hadRecentInput) continue;
    const moved = entry.sources.map((source) => source.node?.className || source.node?.nodeName);
    window.__shifts.push({ value: entry.value, moved });
  }
}).observe({ type: "layout-shift", buffered: true });
"""
# Every demo mounted (or showing why it could not), and the page's scripts done.
SETTLED = """
() => [...document.querySelectorAll(".demo[data-demo]")].every(
  (demo) => demo.classList.contains("demo-widget") || demo.querySelector(".demo-problem"),
)
"""


def shifts_after_loading(page: Page, path: str) -> tuple[float, list]:
    page.goto(path)
    page.wait_for_function(SETTLED)
    page.wait_for_timeout(300)  # a last frame or two after the widgets mounted
    shifts = page.evaluate("window.__shifts")
    return sum(shift["value"] for shift in shifts), shifts


@pytest.mark.parametrize("viewport", sorted(VIEWPORTS))
def test_no_page_moves_once_painted(new_page: Callable[..., Page], viewport: str) -> None:
    page = new_page(viewport=VIEWPORTS[viewport])
    page.add_init_script(WATCH_SHIFTS)
    assert len(LESSONS) >= 20
    moved = {}
    # Twice over: first as a new reader, then with the progress of the first visit to show.
    for path in [*OTHER_PAGES, *LESSONS, *OTHER_PAGES]:
        total, shifts = shifts_after_loading(page, path)
        if total > LIMIT:
            moved[path] = (round(total, 3), shifts[:3])
    assert moved == {}


@pytest.mark.parametrize("viewport", sorted(VIEWPORTS))
def test_a_room_s_banner_does_not_move_the_lesson(
    new_page: Callable[..., Page], staff_page: Page, viewport: str
) -> None:
    link = open_room(staff_page)
    page = new_page(viewport=VIEWPORTS[viewport])
    page.add_init_script(WATCH_SHIFTS)
    page.goto(link)  # on to the lesson with ?room=, where the banner joins the room
    expect(page.locator(".room-banner")).to_have_attribute("data-state", "following")
    page.wait_for_function(SETTLED)
    page.wait_for_timeout(300)
    shifts = page.evaluate("window.__shifts")
    assert sum(shift["value"] for shift in shifts) <= LIMIT, shifts[:3]


def answer_late(ws: WebSocketRoute) -> None:
    """The demo socket, answered as over a slow network: the page paints before the room's state."""
    time.sleep(0.3)
    ws.connect_to_server()


def close_open_room(teacher: Page, panel: Locator) -> None:
    """Closes the room an earlier test left open: the page keeps the closed panel's place only."""
    teacher.goto(SLEEP_LESSON)
    expect(panel).not_to_have_attribute("data-state", "unknown")
    if panel.get_attribute("data-state") == "open":
        panel.get_by_role("button", name="Close the room").click()
        expect(panel).to_have_attribute("data-state", "closed")


@pytest.mark.parametrize("viewport", sorted(VIEWPORTS))
def test_the_teacher_s_room_panel_does_not_move_the_lesson(staff_page: Page, viewport: str) -> None:
    staff_page.set_viewport_size(VIEWPORTS[viewport])
    staff_page.add_init_script(WATCH_SHIFTS)
    staff_page.route_web_socket(re.compile(r"/ws/demos/"), answer_late)
    panel = staff_page.get_by_role("region", name="Classroom room")
    close_open_room(staff_page, panel)
    moved = {}
    for path in LESSONS:
        staff_page.goto(path)
        # Added by the page's script, then told by the server whether a room is open here.
        expect(panel).not_to_have_attribute("data-state", "unknown")
        staff_page.wait_for_function(SETTLED)
        staff_page.wait_for_timeout(300)
        total = sum(shift["value"] for shift in staff_page.evaluate("window.__shifts"))
        if total > LIMIT:
            moved[path] = round(total, 3)
    assert moved == {}
