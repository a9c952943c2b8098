"""Predicting the order of a program's lines before a run, then seeing how it went."""

from playwright.sync_api import Page, expect

from demos.registry import DEMOS

from .widget import DemoWidget

LESSON = "/courses/asyncio/the-event-loop/"
# What "Await the coroutine" prints, as the demo declares it (held to a real run
# by tests/test_predictions.py).
AWAITED = list(DEMOS["order"].sync.first_lines)


def prediction(widget: DemoWidget, mode: str):
    return widget.root.locator(f".demo-predict[data-mode='{mode}']")


def order_of(panel) -> list[str]:
    return [text.strip() for text in panel.locator(".quiz-line-text").all_text_contents()]


def test_a_prediction_put_right_by_keyboard_is_confirmed_by_the_run(page: Page) -> None:
    widget = DemoWidget.open(page, LESSON)
    panel = prediction(widget, "sync")
    panel.locator("summary").click()
    summary = "Predict the order “Await the coroutine” prints in"
    expect(panel.locator("summary")).to_have_text(summary)
    assert sorted(order_of(panel)) == sorted(AWAITED)
    assert order_of(panel) != AWAITED

    for place, text in enumerate(AWAITED):
        while order_of(panel).index(text) > place:
            panel.get_by_role("button", name=f"Move “{text}” up").focus()
            page.keyboard.press("Enter")
    assert order_of(panel) == AWAITED

    widget.run("Await the coroutine")
    expect(panel.locator(".demo-predict-result")).to_have_text(
        f"Your order was right: all {len(AWAITED)} lines came as you put them."
    )
    expect(panel.locator('li[data-verdict="right"]')).to_have_count(6)


def test_a_wrong_prediction_is_marked_line_by_line(page: Page) -> None:
    widget = DemoWidget.open(page, LESSON)
    panel = prediction(widget, "async")
    panel.locator("summary").click()
    widget.run("Create a task")
    result = panel.locator(".demo-predict-result")
    expect(result).to_contain_text("of 6 lines came where you put them; the others are marked.")
    expect(panel.locator('li[data-verdict="wrong"]').first).to_be_visible()


def test_demos_whose_order_varies_offer_no_prediction(page: Page) -> None:
    widget = DemoWidget.open(page, "/courses/asyncio/blocking-vs-non-blocking/")
    expect(widget.root.locator(".demo-predict")).to_have_count(0)
