"""Guesses: one per version, set beside each measured time with how far off it was."""

import re

from playwright.sync_api import Locator, Page, expect

from .accessibility import serious_violations
from .widget import SLEEP_LESSON, DemoWidget


def guess(widget: DemoWidget, mode: str) -> Locator:
    return widget.root.get_by_role("group", name="Your guesses, in seconds").get_by_role(
        "spinbutton", name=mode, exact=True
    )


def off_by(guess: float, elapsed: float) -> str:
    """What the widget must say, worked out here from the time the server measured."""
    close = max(0.05, elapsed * 0.05)
    if abs(guess - elapsed) <= close:
        return f"You guessed {guess:g} s: right, within {round(close, 2):g} s."
    side = "long" if guess > elapsed else "short"
    return f"You guessed {guess:g} s: {round(abs(guess - elapsed), 2):g} s too {side}."


def test_a_race_sets_each_guess_beside_its_own_measured_time(page: Page) -> None:
    widget = DemoWidget.open(page, SLEEP_LESSON)
    guesses = widget.root.get_by_role("group", name="Your guesses, in seconds")
    expect(guesses.get_by_role("textbox")).to_have_count(0)  # number fields: spinbuttons
    expect(guesses.get_by_role("spinbutton")).to_have_count(2)
    widget.fill(Tasks=2, Seconds_per_task=0.2)
    guess(widget, "sync").fill("0.2")
    guess(widget, "async").fill("0.2")

    widget.run("Race both")

    sync, async_ = widget.elapsed("sync"), widget.elapsed("async")
    expect(widget.result("sync").locator(".result-guess")).to_have_text(off_by(0.2, sync))
    expect(widget.result("async").locator(".result-guess")).to_have_text(off_by(0.2, async_))
    # Two waits of 0.2 s one after the other: the sync guess of 0.2 s is short.
    expect(widget.result("sync").locator(".result-guess")).to_contain_text("too short")
    # And each total is explained.
    expect(widget.result("sync").locator(".result-why")).to_have_text(
        re.compile(r"^The tasks run one after another, so their waits add up")
    )
    expect(widget.result("async").locator(".result-why")).to_have_text(
        re.compile(r"^The tasks wait at the same time")
    )
    assert serious_violations(page) == []


def test_a_version_run_alone_uses_its_own_guess_and_no_guess_says_nothing(page: Page) -> None:
    widget = DemoWidget.open(page, SLEEP_LESSON)
    widget.fill(Tasks=1, Seconds_per_task=0.1)
    guess(widget, "async").fill("3")

    widget.run("Run sync")
    expect(widget.result("sync").locator(".result-guess")).to_have_text("")
    expect(widget.result("sync").locator(".result-why")).not_to_have_text("")

    widget.run("Run async")
    elapsed = widget.elapsed("async")
    expect(widget.result("async").locator(".result-guess")).to_have_text(off_by(3, elapsed))


def test_a_guess_out_of_range_is_refused_on_its_own_field(page: Page) -> None:
    widget = DemoWidget.open(page, SLEEP_LESSON)
    field = guess(widget, "sync")
    field.fill("-1")
    widget.press("Race both")

    expect(field).to_have_attribute("aria-invalid", "true")
    expect(field).to_be_focused()
    expect(widget.status).to_have_text("Nothing was sent: fix the highlighted value first.")
