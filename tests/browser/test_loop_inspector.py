"""Inside the event loop: a traced run's lanes, and Inspect stepping through its turns.

Each test runs the real demo with "Trace the event loop" ticked, then gives
the widget a trace made by hand in the agreed format (traces.py), as a stored
trace would be replayed: through the widget's showTrace(), called in the page.
A made trace is the same on every run, so exact turns and lines can be
checked; test_traced_runs.py checks the same views with the server's traces.
"""

import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Locator, Page, expect

from .accessibility import in_both_themes
from .test_keyboard import tab_to
from .traces import blocking_trace, line_of, sleep_trace
from .widget import BLOCKING_LESSON, SLEEP_LESSON, DemoWidget

# Finds the module the page loaded (whatever its URL) and hands it the records.
SHOW_TRACE = """async (root, [mode, records]) => {
    const url = performance.getEntriesByType("resource")
        .map((entry) => entry.name)
        .find((name) => /\\/demos(\\.[0-9a-f]+)?\\.js$/.test(new URL(name).pathname));
    const { widgetFor } = await import(url);
    return widgetFor(root).showTrace(mode, records);
}"""


def catalog_source(page: Page, demo: str, mode: str) -> str:
    response = page.request.get("/demos/catalog.json")
    return response.json()["demos"][demo]["modes"][mode]["source"]


def show_trace(widget: DemoWidget, mode: str, records: list[dict[str, Any]]) -> None:
    assert widget.root.evaluate(SHOW_TRACE, [mode, records]) is True


def turns_in(records: list[dict[str, Any]]) -> int:
    return sum(record["kind"] == "turn" for record in records)


def segments(lane: Locator, kind: str) -> Locator:
    return lane.locator(f".tl-seg[data-kind='{kind}']")


def traced_run(page: Page, path: str, button: str, **values: object) -> DemoWidget:
    widget = DemoWidget.open(page, path)
    widget.fill(**values)
    widget.root.get_by_label("Trace the event loop").check()
    widget.run(button)
    return widget


class Inspector:
    def __init__(self, widget: DemoWidget) -> None:
        self.root = widget.root.locator(".inspector")
        self.toggle = widget.root.locator("button[data-action='inspect']:not([hidden])")
        self.previous = self.root.get_by_role("button", name="Previous turn")
        self.next = self.root.get_by_role("button", name="Next turn")
        self.range = self.root.get_by_role("slider", name="Turn")
        self.position = self.root.locator(".inspector-position")
        self.live = widget.root.locator(".trace-area [role='status']")

    def list_of(self, title: str) -> Locator:
        return self.root.locator(".inspector-box", has_text=title).locator("li")

    def task(self, name: str) -> Locator:
        return self.list_of("Every task").filter(
            has=self.root.page.locator(".inspector-name", has_text=re.compile(f"^{name}$"))
        )

    def scrub_to(self, number: int) -> None:
        """Moves the range to turn ``number`` with its own keys, as a keyboard user would."""
        self.range.focus()
        self.range.press("Home")
        for _ in range(number - 1):
            self.range.press("ArrowRight")

    def at_turn(self, number: int, count: int) -> None:
        # Seconds, or milliseconds in a run over within 0.1 s.
        expect(self.position).to_have_text(
            re.compile(rf"^Turn {number} of {count} at (\d+\.\d{{3}} s|\d+\.\d\d ms)$")
        )


def marked_line(widget: DemoWidget, text: str) -> Locator:
    return widget.root.locator(".source-panel:not([hidden]) .code-line.is-marked", has_text=text)


# Sleep: three tasks wait together --------------------------------------------


@pytest.fixture
def sleep_run(page: Page) -> tuple[DemoWidget, list[dict[str, Any]]]:
    sent: list[dict[str, Any]] = []
    page.on("websocket", lambda ws: ws.on("framesent", lambda text: sent.append(json.loads(text))))
    widget = traced_run(page, SLEEP_LESSON, "Run async", Tasks=3, Seconds_per_task=0.25)
    run_frames = [frame for frame in sent if frame.get("type") == "run"]
    assert run_frames, sent
    assert run_frames[-1]["trace"] is True, run_frames
    records = sleep_trace(catalog_source(page, "sleep", "async"), tasks=3, seconds=0.25)
    show_trace(widget, "async", records)
    return widget, records


def test_each_task_lane_shows_its_steps_and_its_waits_labelled(sleep_run) -> None:
    widget, _ = sleep_run
    for name in ("task 0", "task 1", "task 2"):
        task_lane = widget.lane("async", name)
        expect(segments(task_lane, "run").first).to_be_attached()
        expect(segments(task_lane, "wait")).to_have_count(1)
        expect(segments(task_lane, "wait")).to_have_text("sleep 0.25 s")
        expect(segments(task_lane, "wait").locator(".tl-seg-label")).to_be_visible()
    # main was not reported by the run: the trace gives it a lane of its own.
    main = widget.lane("async", "main")
    expect(segments(main, "wait")).to_have_text("gather")
    loop = widget.lane("async", "event loop")
    expect(segments(loop, "idle").filter(has_text="idle")).to_have_count(1)
    expect(segments(loop, "busy").first).to_be_attached()
    expect(widget.root.locator(".tl-legend")).to_be_visible()


def test_inspect_steps_with_the_buttons_and_keys_and_marks_the_paused_lines(
    sleep_run, page: Page
) -> None:
    widget, records = sleep_run
    count = turns_in(records)
    source = catalog_source(page, "sleep", "async")
    inspector = Inspector(widget)
    expect(inspector.root).to_be_hidden()
    inspector.toggle.click()
    expect(inspector.toggle).to_have_attribute("aria-pressed", "true")
    inspector.at_turn(1, count)
    expect(inspector.previous).to_have_attribute("aria-disabled", "true")
    expect(inspector.list_of("Ready queue")).to_have_text(["main step"])

    inspector.next.click()
    inspector.at_turn(2, count)
    expect(inspector.list_of("Ready queue")).to_have_text(
        ["task 0 step", "task 1 step", "task 2 step"]
    )
    expect(inspector.task("task 1")).to_contain_text("ready to start")
    expect(inspector.task("main")).to_contain_text("waiting for gather at line")
    expect(marked_line(widget, "await asyncio.gather(")).to_contain_text("main paused here")

    # The arrow keys on a button move too, and the focus stays there.
    inspector.next.focus()
    page.keyboard.press("ArrowRight")
    inspector.at_turn(3, count)
    expect(inspector.next).to_be_focused()
    # All three sleep: the loop waits for the first timer, each task paused at its await.
    for name in ("task 0", "task 1", "task 2"):
        expect(inspector.task(name)).to_contain_text(
            f"waiting for sleep 0.25 s at line {line_of(source, 'await asyncio.sleep(')}"
        )
    expect(inspector.list_of("Timers")).to_have_count(3)
    expect(inspector.list_of("Timers").first).to_contain_text("task 0 (sleep 0.25 s)")
    expect(inspector.list_of("Timers").first).to_contain_text("in 0.250 s")
    sleeping = marked_line(widget, "await asyncio.sleep(")
    expect(sleeping).to_contain_text("task 0, task 1, task 2 paused here")
    expect(widget.root.locator(".tl-group[data-mode='async']")).to_have_class(
        re.compile("has-cursor")
    )
    expect(inspector.live).to_have_text(
        re.compile(r"^Turn 3 of \d+ at 0\.000 s: main waiting for gather, task 0 waiting for sleep")
    )

    page.keyboard.press("ArrowLeft")
    inspector.at_turn(2, count)
    page.keyboard.press("End")
    inspector.at_turn(count, count)
    expect(inspector.next).to_have_attribute("aria-disabled", "true")
    expect(inspector.list_of("Every task").filter(has_text="done")).to_have_count(4)
    expect(widget.root.locator(".code-line.is-marked")).to_have_count(0)
    inspector.previous.focus()
    page.keyboard.press("Home")
    inspector.at_turn(1, count)

    # The range scrubs, with its own keys.
    inspector.scrub_to(3)
    inspector.at_turn(3, count)
    inspector.range.press("ArrowRight")
    inspector.at_turn(4, count)

    # Closing takes the marks away.
    inspector.toggle.click()
    expect(inspector.root).to_be_hidden()
    expect(widget.root.locator(".code-line.is-marked")).to_have_count(0)


def test_the_keyboard_alone_traces_a_run_then_inspects_it_once_over(
    new_page: Callable[..., Page],
) -> None:
    page = new_page(viewport={"width": 1280, "height": 900}, reduced_motion="reduce")
    widget = DemoWidget.open(page, SLEEP_LESSON)
    widget.fill(Tasks=3, Seconds_per_task=1.5)
    tab_to(page, widget.root.get_by_label("Trace the event loop"))
    page.keyboard.press("Space")
    expect(widget.root.get_by_label("Trace the event loop")).to_be_checked()
    tab_to(page, widget.button("Run async"))
    page.keyboard.press("Enter")
    widget.wait_for("running")
    records = sleep_trace(catalog_source(page, "sleep", "async"), tasks=3, seconds=1.5)
    # The first batches, while the run goes on: drawn at once, not yet inspectable.
    show_trace(widget, "async", records[:12])
    expect(segments(widget.lane("async", "event loop"), "busy").first).to_be_attached()
    expect(widget.root.locator(".trace-note")).to_contain_text("tracing the event loop")
    expect(widget.root.locator("button[data-action='inspect']:visible")).to_have_count(0)
    widget.wait_for("done")

    show_trace(widget, "async", records)
    inspect = widget.root.get_by_role("button", name="Inspect the async run")
    tab_to(page, inspect)
    page.keyboard.press("Enter")
    inspector = Inspector(widget)
    inspector.at_turn(1, turns_in(records))
    tab_to(page, inspector.next)
    page.keyboard.press("Enter")
    inspector.at_turn(2, turns_in(records))
    page.keyboard.press("Shift+Tab")
    expect(inspector.range).to_be_focused()
    page.keyboard.press("End")
    inspector.at_turn(turns_in(records), turns_in(records))
    # Reduced motion: nothing in the widget moves by itself.
    moving = widget.root.evaluate(
        """root => [root, ...root.querySelectorAll("*")].filter((element) => {
            const style = getComputedStyle(element);
            return style.animationName !== "none" || parseFloat(style.transitionDuration) > 0;
        }).length"""
    )
    assert moving == 0


# Blocking: time.sleep holds the loop ------------------------------------------


@pytest.fixture
def blocking_run(page: Page) -> tuple[DemoWidget, list[dict[str, Any]]]:
    widget = traced_run(
        page, BLOCKING_LESSON, "Run with time.sleep", Tasks=2, Seconds_task_0_waits=1
    )
    records = blocking_trace(catalog_source(page, "blocking", "sync"), tasks=2, block=1.0)
    show_trace(widget, "sync", records)
    return widget, records


def blocked_turn(records: list[dict[str, Any]]) -> int:
    """The 1-based number of the turn in which the loop was blocked."""
    blocked = next(record for record in records if record["kind"] == "blocked")
    turns = sorted((r for r in records if r["kind"] == "turn"), key=lambda r: r["start"])
    return next(
        number
        for number, turn in enumerate(turns, start=1)
        if turn["start"] <= blocked["start"] < turn["end"]
    )


def test_a_blocked_loop_is_hatched_and_says_for_how_long(blocking_run) -> None:
    widget, _ = blocking_run
    loop = widget.lane("sync", "event loop")
    blocked = segments(loop, "blocked")
    expect(blocked).to_have_count(1)
    expect(blocked).to_have_text("blocked 1.00 s")
    expect(blocked.locator(".tl-seg-label")).to_be_visible()
    # The hatching is the pattern, not only a colour.
    assert "repeating-linear-gradient" in blocked.evaluate(
        "element => getComputedStyle(element).backgroundImage"
    )
    # Task 0 held the loop; task 1 was ready all that while and could not run.
    expect(segments(widget.lane("sync", "task 0"), "blocked")).to_have_count(1)
    # (Every ready stretch says so where it is wide enough; the others are too short to see.)
    ready = segments(widget.lane("sync", "task 1"), "ready").locator(".tl-seg-label:visible")
    expect(ready).to_have_count(1)
    expect(ready).to_have_text("ready")
    expect(segments(widget.lane("sync", "heartbeat"), "wait").first).to_have_text("sleep 0.05 s")


def test_inspect_shows_the_line_that_blocks_the_loop(blocking_run) -> None:
    widget, records = blocking_run
    inspector = Inspector(widget)
    inspector.toggle.click()
    number = blocked_turn(records)
    inspector.scrub_to(number)
    inspector.at_turn(number, turns_in(records))
    expect(inspector.root.locator(".inspector-blocked")).to_have_text(
        re.compile(r"task 0 blocks the loop for 1\.00 s at line \d+")
    )
    expect(marked_line(widget, "time.sleep(block)")).to_contain_text("task 0 blocks the loop here")
    expect(marked_line(widget, "await asyncio.sleep(STEP_SECONDS)")).to_contain_text(
        "task 0, task 1 ready to go on from here"
    )
    expect(inspector.task("task 0")).to_contain_text("ready")
    expect(inspector.task("task 1")).to_contain_text("ready")
    expect(inspector.live).to_contain_text("task 0 blocks the loop for 1.00 s")


def test_the_traced_widget_and_the_inspector_have_no_serious_violations(blocking_run) -> None:
    widget, records = blocking_run
    inspector = Inspector(widget)
    inspector.toggle.click()
    inspector.scrub_to(blocked_turn(records))
    expect(marked_line(widget, "time.sleep(block)")).to_be_visible()
    assert in_both_themes(widget.page) == []


# Phone and dark ---------------------------------------------------------------------


# The nearest background that is painted (not transparent) under an element's text.
CONTRAST = """element => {
    const channels = (colour) => colour.match(/[\\d.]+/g).map(Number);
    const painted = (node) => (channels(getComputedStyle(node).backgroundColor)[3] ?? 1) > 0;
    let ground = element;
    while (ground.parentElement && !painted(ground)) ground = ground.parentElement;
    const luminance = (colour) => {
        const [r, g, b] = channels(colour).slice(0, 3).map((value) => {
            const c = value / 255;
            return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
        });
        return 0.2126 * r + 0.7152 * g + 0.0722 * b;
    };
    const [a, b] = [getComputedStyle(element).color, getComputedStyle(ground).backgroundColor]
        .map(luminance);
    return (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
}"""


def painted_dark(element: Locator) -> bool:
    colour = element.evaluate("element => getComputedStyle(element).backgroundColor")
    red, green, blue = (int(part) for part in re.findall(r"\d+", colour)[:3])
    return 0.2126 * red + 0.7152 * green + 0.0722 * blue < 128


def contrast(element: Locator) -> float:
    """The contrast ratio of an element's text against the background painted under it."""
    return element.evaluate(CONTRAST)


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_the_trace_reads_at_phone_width_in_both_themes(
    new_page: Callable[..., Page], scheme: str, tmp_path: Path
) -> None:
    page = new_page(viewport={"width": 360, "height": 800}, color_scheme=scheme)
    widget = traced_run(
        page, BLOCKING_LESSON, "Run with time.sleep", Tasks=2, Seconds_task_0_waits=1
    )
    records = blocking_trace(catalog_source(page, "blocking", "sync"), tasks=2, block=1.0)
    show_trace(widget, "sync", records)
    inspector = Inspector(widget)
    inspector.toggle.click()
    inspector.scrub_to(blocked_turn(records))
    expect(marked_line(widget, "time.sleep(block)")).to_be_visible()

    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    blocked = segments(widget.lane("sync", "event loop"), "blocked").locator(".tl-seg-label")
    expect(blocked).to_be_visible()
    for words in (blocked, widget.root.locator(".code-mark").first):
        assert contrast(words) >= 4.5, words
    assert painted_dark(inspector.root) == (scheme == "dark")

    for part in ("timeline-pane", "code"):
        path = tmp_path / f"loop-inspector-phone-{scheme}-{part}.png"
        widget.root.locator(f".demo-{part}").screenshot(path=path, animations="disabled")
        assert path.stat().st_size > 5_000
