"""A staff writer edits a lesson's Markdown in the admin, with a live preview beside it.

The preview is the server's rendering, shown in a sandboxed frame; nothing is
saved until the writer saves. These tests edit "The event loop", the lesson
test_admin_edit.py edits, which no reader-side test reads.
"""

from __future__ import annotations

from collections.abc import Callable

from playwright.sync_api import Browser, FrameLocator, Locator, Page, Route, expect

from tests.servers import Site

from .accessibility import in_both_themes
from .test_admin_edit import EDITOR_NAME, LESSON_PATH, open_lesson_in_admin
from .test_code_editor import PHONE, WATCH_CSP
from .test_keyboard import MAX_STOPS, tab_to

NO_SCRIPT_SENTENCE = "This sentence was saved from a browser without scripts."


def log_in(page: Page, staff: tuple[str, str]) -> None:
    username, password = staff
    page.goto("/admin/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", name="Site administration")).to_be_visible()


def has_focus(locator: Locator) -> bool:
    """Focus inside a shadow root (the editor's) as well: document.activeElement is its host."""
    return locator.evaluate("element => element.matches(':focus')")


def tab_into(page: Page, target: Locator) -> None:
    for _ in range(MAX_STOPS):
        page.keyboard.press("Tab")
        if has_focus(target):
            return
    raise AssertionError(f"{target} was not reached in {MAX_STOPS} presses of Tab")


class LessonEditor:
    def __init__(self, page: Page) -> None:
        self.page = page
        self.content = page.get_by_role("textbox", name=EDITOR_NAME)
        self.textarea = page.locator("textarea#id_body")
        self.preview: FrameLocator = page.frame_locator("iframe.lesson-editor-frame")
        self.checks = page.locator(".lesson-editor-checks")
        self.status = page.locator(".lesson-editor-status")
        self.underlined = page.locator(".cm-lintRange-error")

    @classmethod
    def open(cls, page: Page) -> LessonEditor:
        open_lesson_in_admin(page)
        editor = cls(page)
        expect(editor.content).to_be_visible()
        expect(editor.status).to_have_text("Preview up to date.")
        return editor

    def line(self, text: str) -> Locator:
        """The last line holding ``text`` (CodeMirror draws only the lines in view)."""
        return self.page.locator(".cm-line", has_text=text).last

    def line_number(self, text: str) -> int:
        """Its number in the text, from the hidden form field the editor writes to."""
        lines = self.textarea.input_value().split("\n")
        return max(number for number, line in enumerate(lines, start=1) if text in line)

    def type_at_end(self, text: str) -> None:
        self.page.keyboard.press("Control+End")
        self.page.keyboard.type(text)


def heading_and_demo(marker: str) -> str:
    return f"\n\n## {marker}\n\n```demo\nname: sleep\ntasks: 4\n```\n"


def check_preview_shows(editor: LessonEditor, marker: str) -> None:
    expect(editor.preview.get_by_role("heading", name=marker)).to_be_visible()
    demo = editor.preview.locator(".demo[data-demo='sleep']").last
    expect(demo).to_have_attribute("data-params", '{"tasks": 4}')
    expect(demo.locator(".lesson-preview-demo")).to_have_text(
        "Live demo “sleep” here, starting with tasks=4."
    )
    # In the preview's contents too, as readers' "On this page".
    expect(editor.preview.locator(".toc a", has_text=marker)).to_have_count(1)


def reader_text(new_page: Callable[..., Page]) -> str:
    reader = new_page()
    reader.goto(LESSON_PATH)
    return reader.locator(".lesson-body").inner_text()


def test_a_writer_sees_a_heading_and_a_demo_in_the_preview_breaks_and_mends_it_and_saves(
    staff_page: Page, new_page: Callable[..., Page]
) -> None:
    """By mouse: click into the editor, type, read the preview, click to save."""
    marker = "A heading typed with the mouse at hand"
    editor = LessonEditor.open(staff_page)
    editor.content.click()
    editor.type_at_end(heading_and_demo(marker))

    check_preview_shows(editor, marker)
    assert marker not in reader_text(new_page)  # nothing saved

    # Break the block: the save's own message, underlined at the block's line.
    editor.line("name: sleep").click()
    staff_page.keyboard.press("End")
    staff_page.keyboard.type("x")
    message = f"Line {editor.line_number('name: sleepx') - 1}: unknown demo 'sleepx'"
    expect(editor.checks).to_contain_text(message)
    expect(editor.underlined).to_have_count(1)
    expect(editor.line("```demo").locator(".cm-lintRange-error")).to_have_count(1)
    editor.underlined.hover()
    expect(staff_page.locator(".cm-tooltip-lint")).to_contain_text(message)

    # Mend it: the message goes, the preview is back.
    editor.line("name: sleepx").click()
    staff_page.keyboard.press("End")
    staff_page.keyboard.press("Backspace")
    expect(editor.checks).to_be_empty()
    expect(editor.underlined).to_have_count(0)
    check_preview_shows(editor, marker)

    staff_page.get_by_role("button", name="Save", exact=True).click()
    expect(staff_page.locator(".messagelist")).to_contain_text("was changed successfully")
    assert marker in reader_text(new_page)


def test_the_keyboard_alone_writes_previews_mends_leaves_the_editor_and_saves(
    staff_page: Page, new_page: Callable[..., Page]
) -> None:
    marker = "A heading typed by keyboard alone"
    open_lesson_in_admin(staff_page)
    editor = LessonEditor(staff_page)
    expect(editor.status).to_have_text("Preview up to date.")
    tab_into(staff_page, editor.content)
    editor.type_at_end(heading_and_demo(marker))
    check_preview_shows(editor, marker)

    # Break it (the cursor is on the empty line after the block)...
    for _ in range(3):
        staff_page.keyboard.press("ArrowUp")
    staff_page.keyboard.press("End")
    staff_page.keyboard.type("x")
    expect(editor.checks).to_contain_text("unknown demo 'sleepx'")
    # ...leave the editor with Escape then Tab, to the message's "Go to line" button...
    staff_page.keyboard.press("Escape")
    staff_page.keyboard.press("Tab")
    go = editor.checks.get_by_role("button", name="Go to line")
    expect(go).to_be_focused()
    staff_page.keyboard.press("Enter")
    expect(editor.content).to_be_focused()
    # ...which puts the cursor on the block's first line: mend the next one.
    staff_page.keyboard.press("ArrowDown")
    staff_page.keyboard.press("End")
    staff_page.keyboard.press("Backspace")
    expect(editor.checks).to_be_empty()
    check_preview_shows(editor, marker)
    staff_page.keyboard.press("Escape")
    staff_page.keyboard.press("Tab")
    assert not has_focus(editor.content)

    save = staff_page.get_by_role("button", name="Save", exact=True)
    tab_to(staff_page, save)
    staff_page.keyboard.press("Enter")
    expect(staff_page.locator(".messagelist")).to_contain_text("was changed successfully")
    assert marker in reader_text(new_page)


def test_tab_indents_in_the_editor(staff_page: Page) -> None:
    editor = LessonEditor.open(staff_page)
    editor.content.click()
    staff_page.keyboard.press("Control+End")
    staff_page.keyboard.press("Tab")
    expect(editor.content).to_be_focused()
    last_line = editor.textarea.input_value().rstrip("\n").rsplit("\n", 1)[-1]
    assert last_line.startswith("    ")
    assert last_line.strip()


def test_a_quiz_is_previewed_as_readers_see_it(staff_page: Page) -> None:
    editor = LessonEditor.open(staff_page)
    editor.content.click()
    editor.type_at_end(
        "\n\n```quiz\nquestion: How many threads run the loop?\nanswer: 1\ntolerance: 0\n```\n"
    )
    expect(editor.preview.locator(".quiz").last).to_contain_text("How many threads run the loop?")


def test_a_claim_is_listed_with_its_last_check(staff_page: Page) -> None:
    editor = LessonEditor.open(staff_page)
    editor.content.click()
    editor.type_at_end("\n\nIt takes {{claim sleep async tasks=2 seconds=3 -> 3 s ±20%}}.\n")
    claims = staff_page.locator(".lesson-editor-claims")
    expect(claims).to_contain_text("sleep async (tasks=2, seconds=3), claims 3 s ±20%")
    expect(claims).to_contain_text("Not checked yet.")
    expect(editor.preview.locator(".claim").last).to_have_text("3 s")


def test_a_refused_preview_pauses_until_retry_after_and_keeps_the_text(
    browser: Browser, site: Site, staff: tuple[str, str]
) -> None:
    # A page of its own: the fixture's pages fail a test on any response over 400,
    # and the browser reports the 429 this test asks for.
    context = browser.new_context(base_url=site.url, viewport={"width": 1280, "height": 900})
    page = context.new_page()
    try:
        log_in(page, staff)
        editor = LessonEditor.open(page)
        refusals = []

        def refuse_once(route: Route) -> None:
            if refusals:
                route.continue_()
                return
            refusals.append(route.request.url)
            route.fulfill(status=429, headers={"Retry-After": "1"}, json={"error": "Too many"})

        page.route("**/admin/lessons/lesson/preview/", refuse_once)
        editor.content.click()
        editor.type_at_end("\n\n## Typed while the preview waits\n")
        expect(editor.status).to_contain_text("Preview paused")
        # After the wait, the text as it is then is previewed.
        heading = editor.preview.get_by_role("heading", name="Typed while the preview waits")
        expect(heading).to_be_visible()
        expect(editor.status).to_have_text("Preview up to date.")
        assert len(refusals) == 1
    finally:
        context.close()


def test_the_text_is_still_the_form_field_without_javascript(
    new_page: Callable[..., Page], staff: tuple[str, str]
) -> None:
    page = new_page(viewport={"width": 1280, "height": 900}, java_script_enabled=False)
    log_in(page, staff)
    open_lesson_in_admin(page)
    body = page.get_by_label("Body")
    expect(body).to_be_visible()
    expect(page.locator(".lesson-editor")).to_have_count(0)
    body.fill(f"{body.input_value().rstrip()}\n\n{NO_SCRIPT_SENTENCE}\n")
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.locator(".messagelist")).to_contain_text("was changed successfully")
    assert NO_SCRIPT_SENTENCE in reader_text(new_page)


def test_the_editor_and_its_preview_raise_no_csp_violation(staff_page: Page) -> None:
    staff_page.add_init_script(WATCH_CSP)
    editor = LessonEditor.open(staff_page)
    editor.content.click()
    editor.type_at_end("\n\n```python\nimport asyncio\n```\n")
    expect(editor.preview.locator("pre").last).to_contain_text("import asyncio")
    # Python inside a fenced block is highlighted as Python in the editor.
    expect(staff_page.locator(".cm-line .tok-keyword", has_text="import").last).to_be_visible()
    assert staff_page.evaluate("window.cspViolations") == []
    # Same origin, so that the editor can write into it; no allow-scripts, so nothing in it runs.
    frame = staff_page.locator("iframe.lesson-editor-frame")
    assert frame.get_attribute("sandbox").split() == ["allow-same-origin"]


def test_the_edit_page_with_an_error_has_no_serious_violations_in_both_themes(
    staff_page: Page,
) -> None:
    editor = LessonEditor.open(staff_page)
    editor.content.click()
    editor.type_at_end("\n\n```demo\nname: nope\n```\n")
    expect(editor.underlined).to_have_count(1)
    assert in_both_themes(staff_page) == []


def test_the_preview_sits_below_the_editor_on_a_narrow_screen(staff_page: Page) -> None:
    editor = LessonEditor.open(staff_page)
    wide_editor = staff_page.locator(".lesson-editor-host").bounding_box()
    wide_frame = staff_page.locator("iframe.lesson-editor-frame").bounding_box()
    assert wide_frame["x"] >= wide_editor["x"] + wide_editor["width"]  # beside it
    assert wide_editor["height"] >= 0.6 * 900  # most of the screen

    staff_page.set_viewport_size(PHONE)
    host = staff_page.locator(".lesson-editor-host").bounding_box()
    frame = staff_page.locator("iframe.lesson-editor-frame").bounding_box()
    assert frame["y"] >= host["y"] + host["height"]  # below it
    assert frame["x"] + frame["width"] <= PHONE["width"]
    assert editor.content.is_visible()


def test_an_error_still_there_after_more_typing_is_not_announced_again(staff_page: Page) -> None:
    # The list is an aria-live region: a list put back at each preview is read out again.
    editor = LessonEditor.open(staff_page)
    editor.content.click()
    editor.type_at_end("\n\n```demo\nname: nope\n```\n")
    errors = editor.checks.locator("ul")
    expect(errors).to_contain_text("unknown demo 'nope'")
    errors.evaluate("list => { list.dataset.shownBefore = 'yes'; }")

    editor.type_at_end("It takes {{claim sleep async tasks=2 seconds=3 -> 3 s ±20%}}.")
    # Listed in the same step as the errors: this answer has been shown.
    expect(staff_page.locator(".lesson-editor-claims")).to_contain_text("claims 3 s ±20%")
    expect(errors).to_have_attribute("data-shown-before", "yes")
