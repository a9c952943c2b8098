"""A demo widget as a reader sees it: its fields, buttons, console, timeline and results.

Everything goes through what is on the screen (labels, button names, text)
or through the hooks the widget keeps for tests (``data-state``,
``data-elapsed``, ``data-task``); nothing reads the widget's JavaScript state.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from playwright.sync_api import Locator, Page, expect

SLEEP_LESSON = "/courses/asyncio/blocking-vs-non-blocking/"
WEATHER_LESSON = "/courses/asyncio/concurrent-http-requests/"
BLOCKING_LESSON = "/courses/asyncio/rules-of-asyncio/"

# A finished run can take several seconds on a busy machine.
RUN_TIMEOUT_MS = 30_000

_CONSOLE_TIME = re.compile(r"\[(\d+(?:\.\d+)?) s\]")


@dataclass(frozen=True)
class Box:
    """Where a timeline bar is drawn, in CSS pixels."""

    left: float
    right: float


@dataclass
class DemoWidget:
    page: Page
    root: Locator

    @classmethod
    def open(cls, page: Page, path: str) -> DemoWidget:
        """Opens a lesson and waits until its first demo is connected to the server."""
        page.goto(path)
        widget = cls(page, page.locator(".demo-widget").first)
        widget.wait_until_connected()
        # Brought into view at once, as a reader scrolls to it; otherwise the
        # first field focused starts a smooth scroll that every click waits out.
        widget.root.scroll_into_view_if_needed()
        return widget

    def wait_until_connected(self, timeout: float = RUN_TIMEOUT_MS) -> None:
        # The run buttons are aria-disabled until the socket is open; pressing
        # one earlier would only make Playwright wait for it.
        expect(self.root).to_have_attribute("data-connection", "open", timeout=timeout)

    # Doing -----------------------------------------------------------------

    def field(self, label: str) -> Locator:
        return self.root.get_by_label(label, exact=True)

    def fill(self, **values_by_label: object) -> None:
        for label, value in values_by_label.items():
            self.field(label.replace("_", " ")).fill(str(value))

    def button(self, name: str) -> Locator:
        return self.root.get_by_role("button", name=name, exact=True)

    def press(self, name: str) -> None:
        self.button(name).click()

    def wait_for(self, state: str, timeout: float = RUN_TIMEOUT_MS) -> None:
        expect(self.root).to_have_attribute("data-state", state, timeout=timeout)

    def run(self, name: str, state: str = "done") -> None:
        """Presses a run button and waits until the widget reaches ``state``."""
        self.press(name)
        self.wait_for(state)

    # Reading ---------------------------------------------------------------

    @property
    def status(self) -> Locator:
        return self.root.locator(".demo-status")

    @property
    def connection_note(self) -> Locator:
        return self.root.locator(".demo-connection")

    @property
    def speedup(self) -> Locator:
        return self.root.locator(".demo-speedup")

    def result(self, mode: str) -> Locator:
        return self.root.locator(f".demo-result[data-mode='{mode}']")

    def elapsed(self, mode: str) -> float:
        """The run's time as measured on the server, once it has finished."""
        result = self.result(mode)
        expect(result).to_have_attribute("data-elapsed", re.compile(r"\d"))
        return float(result.get_attribute("data-elapsed"))

    def console_lines(self, mode: str, kind: str | None = None) -> Locator:
        """A run's console lines; ``kind`` is output, warning, error, note or summary."""
        selector = f".console-lines li[data-mode='{mode}']"
        if kind:
            selector += f"[data-kind='{kind}']"
        return self.root.locator(selector)

    def console_times(self, lines: Locator) -> list[float]:
        """The server times printed at the start of each console line, in order."""
        times = []
        for text in lines.all_inner_texts():
            match = _CONSOLE_TIME.search(text)
            assert match, f"no time on the console line {text!r}"
            times.append(float(match.group(1)))
        return times

    def lanes(self, mode: str, state: str | None = None) -> Locator:
        """A run's lanes on the timeline (``state``: waiting, running, ok, failed...)."""
        selector = f".tl-group[data-mode='{mode}'] .tl-lane"
        if state:
            selector += f"[data-state='{state}']"
        return self.root.locator(selector)

    def lane(self, mode: str, name: str) -> Locator:
        return self.lanes(mode).filter(
            has=self.page.locator(".tl-lane-label", has_text=re.compile(f"^{re.escape(name)}$"))
        )

    def bars(self, mode: str) -> list[Box]:
        """Each task's bar on the timeline, in task order, as drawn on the screen."""
        boxes = []
        for bar in self.lanes(mode).locator(".tl-bar").all():
            expect(bar).to_be_visible()
            box = bar.bounding_box()
            assert box is not None
            boxes.append(Box(left=box["x"], right=box["x"] + box["width"]))
        return boxes

    def track_width(self, mode: str) -> float:
        box = self.lanes(mode).first.locator(".tl-track").bounding_box()
        assert box is not None
        return box["width"]
