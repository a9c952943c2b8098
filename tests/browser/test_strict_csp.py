"""The pages work under a strict Content-Security-Policy: no inline scripts or styles.

Every browser test already fails on anything the policy refuses (see
``PageProblems`` in conftest.py); these tests pin the policy itself and prove
that the watch does catch a refusal.
"""

from playwright.sync_api import Browser, Page, expect

from tests.servers import Site

from .conftest import PageProblems
from .widget import SLEEP_LESSON, DemoWidget


def test_a_lesson_and_its_demo_work_without_anything_inline(page: Page) -> None:
    response = page.goto(SLEEP_LESSON)
    policy = response.headers["content-security-policy"]
    assert "script-src 'self'" in policy
    assert "style-src 'self'" in policy
    assert "unsafe-inline" not in policy

    widget = DemoWidget(page, page.locator(".demo-widget").first)
    widget.wait_until_connected()
    widget.fill(Tasks=2, Seconds_per_task=0.1)
    widget.run("Race both")
    expect(widget.lanes("sync", state="ok")).to_have_count(2)
    expect(page.locator("script:not([src])")).to_have_count(0)
    expect(page.locator("style")).to_have_count(0)


def test_the_watch_on_every_page_catches_what_the_policy_refuses(
    browser: Browser, site: Site
) -> None:
    context = browser.new_context(base_url=site.url)
    try:
        page = context.new_page()
        problems = PageProblems()
        problems.watch(page)
        page.goto(SLEEP_LESSON)
        with page.expect_console_message(lambda message: message.type == "error"):
            page.evaluate(
                """() => {
                    const script = document.createElement("script");
                    script.textContent = "document.title = 'ran inline'";
                    document.head.append(script);
                }"""
            )
        assert problems.found, "an inline script was refused, and the watch missed it"
        assert "Content Security Policy" in problems.found[0]
        expect(page).not_to_have_title("ran inline")
    finally:
        context.close()
