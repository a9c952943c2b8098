"""The reading page itself: copy buttons, the table of contents, phone widths, no JavaScript."""

import re
import statistics
from collections.abc import Callable

import pytest
from playwright.sync_api import Page, expect

from .widget import SLEEP_LESSON, DemoWidget

PHONE = {"width": 360, "height": 780}
DESKTOP = {"width": 1280, "height": 900}


def test_a_code_block_copies_its_code(new_page: Callable[..., Page]) -> None:
    page = new_page(viewport=DESKTOP)
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    page.goto(SLEEP_LESSON)
    block = page.locator(".lesson-body .code-block").first
    # Its name changes while it says "Copied"; the pattern follows it.
    button = block.get_by_role("button", name=re.compile(r"^Cop(y|ied) python code$"))
    expect(block.locator(".code-lang")).to_have_text("python")

    button.click()

    expect(button).to_have_accessible_name("Copied python code")
    expect(page.get_by_role("status").filter(has_text="Code copied")).to_be_attached()
    copied = page.evaluate("navigator.clipboard.readText()")
    assert copied == block.locator("pre code").text_content()
    assert "def say_hello" in copied
    # The label comes back, ready for another copy.
    expect(button).to_have_accessible_name("Copy python code", timeout=5_000)


def test_the_contents_list_the_sections_and_lead_to_them(page: Page) -> None:
    # Once the demo is built: it is taller than its placeholder, and a jump
    # made before it appears lands short by the difference.
    DemoWidget.open(page, SLEEP_LESSON)
    toc = page.get_by_role("navigation", name="On this page")
    headings = page.locator(".lesson-body h2")
    links = toc.get_by_role("link")
    expect(links.first).to_be_visible()
    assert links.all_inner_texts() == headings.all_inner_texts()

    toc.get_by_role("link", name="Pitfalls").click()
    expect(page).to_have_url(re.compile("#pitfalls$"))
    expect(page.get_by_role("heading", name="Pitfalls", exact=True)).to_be_in_viewport()
    # The sidebar follows the reading: the section in view is marked.
    expect(toc.get_by_role("link", name="Pitfalls")).to_have_attribute("aria-current", "true")


def test_on_a_phone_the_contents_are_folded_until_opened(new_page: Callable[..., Page]) -> None:
    page = new_page(viewport=PHONE)
    page.goto(SLEEP_LESSON)
    expect(page.locator(".demo-widget")).to_have_attribute("data-state", "idle")  # see above
    toc = page.get_by_role("navigation", name="On this page")
    link = toc.get_by_role("link", name="Pitfalls")
    expect(link).to_be_hidden()

    toc.locator("summary").click()
    expect(link).to_be_visible()
    link.click()
    expect(page.get_by_role("heading", name="Pitfalls", exact=True)).to_be_in_viewport()
    expect(link).to_be_hidden()  # folded again, out of the way of the text


def test_a_phone_never_scrolls_sideways(new_page: Callable[..., Page]) -> None:
    page = new_page(viewport=PHONE)
    paths = ["/"]
    for course in ("/courses/asyncio/", "/courses/async-django/"):
        page.goto(course)
        links = page.locator(".lesson-list a")
        paths += [course, *(link.get_attribute("href") for link in links.all())]
    assert len(paths) > 10
    too_wide = {}
    for path in paths:
        page.goto(path)
        expect(page.get_by_role("heading", level=1)).to_be_visible()
        for demo in page.locator(".demo[data-demo]").all():
            expect(demo).to_have_attribute("data-state", "idle")
        width = page.evaluate("document.documentElement.scrollWidth")
        if width > PHONE["width"]:
            too_wide[path] = width
    assert too_wide == {}, f"pages wider than the phone: {too_wide}"


@pytest.mark.parametrize("width", [1280, 1920])
def test_lines_of_text_stay_within_a_readable_measure(
    new_page: Callable[..., Page], width: int
) -> None:
    page = new_page(viewport={"width": width, "height": 900})
    page.goto(SLEEP_LESSON)
    # Characters a line holds: the paragraph's width over the average width of
    # its own letters, in its own font (a canvas measures without drawing).
    per_line = page.locator(".lesson-body > p").evaluate_all(
        """paragraphs => paragraphs.map((p) => {
            const style = getComputedStyle(p);
            const context = document.createElement("canvas").getContext("2d");
            context.font = `${style.fontWeight} ${style.fontSize} ${style.fontFamily}`;
            const letter = context.measureText(p.textContent).width / p.textContent.length;
            return p.getBoundingClientRect().width / letter;
        })"""
    )
    # Bold and code run wider than the average letter, so a paragraph full of
    # them counts a little high: the typical paragraph is what is judged.
    typical = statistics.median(per_line)
    # WCAG 1.4.8 asks for at most 80; fewer than 45 reads choppy.
    assert 45 <= typical <= 80, [round(count) for count in per_line]


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_the_text_after_a_demo_barely_moves_when_the_widget_appears(
    new_page: Callable[..., Page], viewport: dict
) -> None:
    page = new_page(viewport=viewport)
    held = []
    page.route("**/demos/catalog.json", lambda route: held.append(route))  # held back
    page.goto(SLEEP_LESSON)
    expect(page.locator(".demo-fallback")).to_be_visible()
    for _ in range(100):  # the request is made once the page's script runs
        if held:
            break
        page.wait_for_timeout(50)
    assert len(held) == 1
    demo = page.locator(".lesson-body > .demo").first
    placeholder = demo.bounding_box()["height"]

    held[0].continue_()
    expect(demo).to_have_class(re.compile(r"\bdemo-widget\b"))
    expect(page.locator(".demo-widget .demo-form")).to_be_visible()
    widget = demo.bounding_box()["height"]

    # Held room: most of the widget's height, never more (the text would jump up).
    assert 0.8 * widget <= placeholder <= widget, (placeholder, widget)


def test_without_javascript_the_text_is_all_there_and_the_demo_says_why_not(
    new_page: Callable[..., Page],
) -> None:
    page = new_page(viewport=DESKTOP, java_script_enabled=False)
    page.goto(SLEEP_LESSON)

    expect(page.get_by_role("heading", level=1)).to_have_text("Blocking vs non-blocking code")
    expect(page.locator(".lesson-header .meta")).to_contain_text(re.compile(r"\d+ min read"))
    expect(page.locator(".lesson-body pre code").first).to_contain_text("def say_hello")
    sections = page.locator(".lesson-body h2").count()  # one link for each section
    assert sections >= 6
    expect(page.get_by_role("navigation", name="On this page").get_by_role("link")).to_have_count(
        sections
    )
    expect(page.get_by_role("link", name=re.compile("^Next "))).to_be_visible()
    expect(page.locator(".demo-fallback")).to_have_text(
        "This live demo runs on the server and needs JavaScript to show its results."
    )
    expect(page.get_by_role("button", name="Run async")).to_have_count(0)
    # A toggle that cannot work is not offered.
    expect(page.locator("[data-theme-toggle]")).to_be_hidden()
