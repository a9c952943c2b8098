"""The sleep demo, as a reader runs it: async together, sync in a staircase, the race, cancel.

Three tasks of 0.5 s keep each run short. Bounds are loose on the slow side
(the machine may be busy) and tight where the lesson's point lies: async takes
about one task's time, sync about the sum.
"""

import itertools
import re

import pytest
from playwright.sync_api import Page, expect

from .widget import SLEEP_LESSON, DemoWidget

TASKS = 3
SECONDS = 0.5
# A few pixels of rounding between two bars drawn end to start.
PIXEL_SLACK = 3


@pytest.fixture
def sleep_demo(page: Page) -> DemoWidget:
    widget = DemoWidget.open(page, SLEEP_LESSON)
    widget.fill(Tasks=TASKS, Seconds_per_task=SECONDS)
    return widget


def test_run_async_shows_three_hellos_together_and_takes_about_one_task(
    sleep_demo: DemoWidget,
) -> None:
    sleep_demo.run("Run async")

    hellos = sleep_demo.console_lines("async", kind="output")
    expect(hellos).to_have_count(TASKS)
    for line in hellos.all():
        expect(line).to_contain_text("Hello")
    times = sleep_demo.console_times(hellos)
    assert all(0.45 <= t <= 1.0 for t in times), times
    assert max(times) - min(times) < 0.2, f"the hellos came apart: {times}"

    elapsed = sleep_demo.elapsed("async")
    assert 0.45 <= elapsed <= 1.0
    expect(sleep_demo.result("async")).to_contain_text(f"{elapsed:.2f} seconds")
    bars = sleep_demo.bars("async")
    assert len(bars) == TASKS
    # All at once: some moment lies inside every bar.
    assert max(bar.left for bar in bars) < min(bar.right for bar in bars), bars


def test_run_sync_draws_a_staircase_and_takes_the_sum(sleep_demo: DemoWidget) -> None:
    sleep_demo.run("Run sync")

    elapsed = sleep_demo.elapsed("sync")
    assert 1.45 <= elapsed <= 2.5
    expect(sleep_demo.result("sync")).to_contain_text(f"{elapsed:.2f} seconds")
    bars = sleep_demo.bars("sync")
    assert len(bars) == TASKS
    for earlier, later in itertools.pairwise(bars):
        # Each step starts where the one before ended, never alongside it.
        assert later.left >= earlier.right - PIXEL_SLACK, bars
    times = sleep_demo.console_times(sleep_demo.console_lines("sync", kind="output"))
    assert len(times) == TASKS
    gaps = [later - earlier for earlier, later in itertools.pairwise(times)]
    assert all(gap >= SECONDS - 0.05 for gap in gaps), times


def test_race_both_shows_both_runs_and_the_speedup(sleep_demo: DemoWidget) -> None:
    sleep_demo.run("Race both")

    sync, run_async = sleep_demo.elapsed("sync"), sleep_demo.elapsed("async")
    assert 1.45 <= sync <= 2.5
    assert 0.45 <= run_async <= 1.0
    expect(sleep_demo.lanes("sync")).to_have_count(TASKS)
    expect(sleep_demo.lanes("async")).to_have_count(TASKS)
    expect(sleep_demo.console_lines("sync", kind="output")).to_have_count(TASKS)
    expect(sleep_demo.console_lines("async", kind="output")).to_have_count(TASKS)
    expect(sleep_demo.speedup).to_be_visible()
    # \u00d7 is the multiplication sign; Playwright hands the pattern to JavaScript too.
    speedup = re.compile(r"^async was (\d+(?:\.\d)?)\u00d7 faster$")
    expect(sleep_demo.speedup).to_have_text(speedup)
    shown = float(speedup.match(sleep_demo.speedup.inner_text()).group(1))
    assert shown == pytest.approx(sync / run_async, abs=0.06), "the speedup is not sync / async"
    # Both on one axis: the sync bars reach far beyond the async ones.
    assert max(b.right for b in sleep_demo.bars("sync")) > max(
        b.right for b in sleep_demo.bars("async")
    ) + 0.3 * sleep_demo.track_width("sync")


def test_cancel_stops_a_long_async_run_and_says_so(page: Page) -> None:
    widget = DemoWidget.open(page, SLEEP_LESSON)
    widget.fill(Tasks=TASKS, Seconds_per_task=5)
    widget.press("Run async")
    widget.wait_for("running")
    expect(widget.lanes("async", state="running")).to_have_count(TASKS)

    widget.press("Cancel")
    widget.wait_for("done")

    result = widget.result("async")
    expect(result).to_have_attribute("data-status", "cancelled")
    expect(result).to_contain_text(re.compile(r"Cancelled after \d+\.\d\d s"))
    assert widget.elapsed("async") < 4, "the run went on after Cancel"
    expect(widget.console_lines("async", kind="output")).to_have_count(0)
    expect(widget.console_lines("async", kind="summary")).to_contain_text("(cancelled)")
    # Screen readers hear it too, through the widget's live region.
    announced = widget.root.get_by_role("status").filter(has_text="async was cancelled.")
    expect(announced).to_have_count(1)
    expect(widget.button("Cancel")).to_have_attribute("aria-disabled", "true")


def test_cancelling_a_sync_run_explains_it_stops_after_its_current_task(page: Page) -> None:
    widget = DemoWidget.open(page, SLEEP_LESSON)
    widget.fill(Tasks=TASKS, Seconds_per_task=1)
    widget.press("Run sync")
    expect(widget.lanes("sync", state="running")).to_have_count(1)

    widget.press("Cancel")
    expect(widget.status).to_have_text("Cancelling… (a sync run stops after its current task)")
    widget.wait_for("done")

    expect(widget.result("sync")).to_have_attribute("data-status", "cancelled")
    expect(widget.result("sync")).to_contain_text("Cancelled after")
    # The task that was sleeping when Cancel came finishes; the others never start.
    assert widget.console_lines("sync", kind="output").count() < TASKS
    assert widget.elapsed("sync") < 2.5
