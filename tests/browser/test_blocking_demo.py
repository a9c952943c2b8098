"""The blocking demo: one time.sleep in async code stalls every task on the loop.

Two workers take steps of 0.25 s; task 0 waits 1 s after its second step. With
time.sleep the loop stops for that second: task 1's third step, due at
0.75 s, comes only once the block is over (about 1.5 s), and the heartbeat
reports the loop blocked for about a second. With asyncio.sleep task 1 goes
on at its own pace and nothing is reported.
"""

import re

import pytest
from playwright.sync_api import Page, expect

from .widget import BLOCKING_LESSON, DemoWidget

BLOCK = 1.0
STEP = 0.25
# Task 0 blocks after its second step, at about 2 * STEP.
BLOCK_ENDS = 2 * STEP + BLOCK

_BLOCKED = re.compile(r"loop blocked for (\d+\.\d+) s")


@pytest.fixture
def blocking_demo(page: Page) -> DemoWidget:
    widget = DemoWidget.open(page, BLOCKING_LESSON)
    widget.fill(Tasks=2, Seconds_task_0_waits=BLOCK)
    return widget


def step_three_of_task_one(widget: DemoWidget, mode: str) -> float:
    lines = widget.console_lines(mode, kind="output").filter(has_text="task 1: step 3")
    expect(lines).to_have_count(1)
    return widget.console_times(lines)[0]


def test_time_sleep_stalls_the_other_task_and_the_heartbeat_says_so(
    blocking_demo: DemoWidget,
) -> None:
    blocking_demo.run("Run with time.sleep")

    warnings = blocking_demo.console_lines("sync", kind="warning")
    expect(warnings.first).to_contain_text("heartbeat: loop blocked for")
    blocked = [float(_BLOCKED.search(text).group(1)) for text in warnings.all_inner_texts()]
    assert max(blocked) >= 0.8 * BLOCK, blocked
    # The stalled stretch is drawn on the heartbeat's lane, hatched.
    heartbeat = blocking_demo.lane("sync", "heartbeat")
    expect(heartbeat.locator(".tl-blocked").first).to_be_visible()
    expect(heartbeat.locator(".tl-mark.is-warning").first).to_be_visible()
    assert step_three_of_task_one(blocking_demo, "sync") >= BLOCK_ENDS - 0.05


def test_asyncio_sleep_lets_the_other_task_go_on(blocking_demo: DemoWidget) -> None:
    blocking_demo.run("Run with asyncio.sleep")

    # A busy machine may wake the heartbeat a little late, never a whole block late.
    blocked = [
        float(_BLOCKED.search(text).group(1))
        for text in blocking_demo.console_lines("async", kind="warning").all_inner_texts()
    ]
    assert all(late < 0.5 * BLOCK for late in blocked), blocked
    assert step_three_of_task_one(blocking_demo, "async") < BLOCK_ENDS - 0.4
    expect(blocking_demo.result("async")).to_contain_text("Program executed in")
