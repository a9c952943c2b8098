"""Staff edit a lesson in the admin, and readers see the change.

The edited lesson is one no other browser test reads, so its new text cannot
surprise them.
"""

import json
import re
from collections.abc import Callable

from playwright.sync_api import Locator, Page, WebSocket, expect

from .accessibility import in_both_themes
from .test_keyboard import MAX_STOPS, is_focused

LESSON_TITLE = "The event loop"
LESSON_PATH = "/courses/asyncio/the-event-loop/"
NEW_SENTENCE = "An editor added this sentence in the admin a moment ago."
# The body's Markdown editor (static/js/lesson-editor.js), over the form's textarea.
EDITOR_NAME = "Body (Markdown)"


def open_lesson_in_admin(page: Page) -> None:
    page.goto("/admin/")
    page.get_by_role("link", name="Lessons", exact=True).click()
    # Wait for the list: once the lesson was edited, the index's "Recent actions"
    # links to it too, and a click there would race the navigation to the list.
    page.wait_for_url("**/admin/lessons/lesson/")
    page.get_by_role("link", name=LESSON_TITLE, exact=True).click()
    expect(page.get_by_role("heading", name="Change lesson")).to_be_visible()


def type_at_the_end(page: Page, text: str) -> None:
    """Types ``text`` at the end of the body, in its Markdown editor, key by key."""
    page.get_by_role("textbox", name=EDITOR_NAME).click()
    page.keyboard.press("Control+End")
    page.keyboard.type(text)


def tab_to_past_the_editor(page: Page, target: Locator) -> None:
    """Tabs to ``target`` as a keyboard user would: in the body's editor, where Tab
    indents, Escape then Tab moves on."""
    editor = page.get_by_role("textbox", name=EDITOR_NAME)
    for _ in range(MAX_STOPS):
        if editor.count() and editor.evaluate("element => element.matches(':focus')"):
            page.keyboard.press("Escape")
        page.keyboard.press("Tab")
        if is_focused(target):
            return
    raise AssertionError(f"{target} was not reached in {MAX_STOPS} presses of Tab")


def open_as_watching_reader(new_page: Callable[..., Page]) -> Page:
    """A reader on the lesson, once the server has confirmed the page watches it.

    The frames are only observed, never changed. A save made before the
    server's "watching" would go unheard, which is not what this test is about.
    """
    reader = new_page()
    sockets: list[WebSocket] = []
    frames: list[dict] = []

    def observe(socket: WebSocket) -> None:
        sockets.append(socket)
        socket.on("framereceived", lambda payload: frames.append(json.loads(payload)))

    reader.on("websocket", observe)
    reader.goto(LESSON_PATH)
    while not any(frame.get("type") == "watching" for frame in frames):
        if sockets:
            sockets[-1].wait_for_event("framereceived")
        else:
            reader.wait_for_event("websocket")
    return reader


def test_staff_edit_a_lesson_and_readers_see_the_new_text(
    staff_page: Page, new_page: Callable[..., Page]
) -> None:
    reader = open_as_watching_reader(new_page)
    expect(reader.locator(".lesson-body")).not_to_contain_text(NEW_SENTENCE)

    open_lesson_in_admin(staff_page)
    type_at_the_end(staff_page, f"\n\n{NEW_SENTENCE}\n")
    staff_page.get_by_role("button", name="Save", exact=True).click()
    expect(staff_page.locator(".messagelist")).to_contain_text("was changed successfully")

    # The reader is told, and the text changes only when they choose.
    notice = reader.get_by_role("status").filter(has_text="This lesson was just updated.")
    expect(notice).to_be_visible()
    expect(reader.locator(".lesson-body")).not_to_contain_text(NEW_SENTENCE)
    assert in_both_themes(reader) == []
    notice.get_by_role("button", name="Reload").click()
    expect(reader.locator(".lesson-body p").last).to_have_text(NEW_SENTENCE)

    # A new reader gets the new text at once.
    newcomer = new_page()
    newcomer.goto(LESSON_PATH)
    expect(newcomer.locator(".lesson-body p").last).to_have_text(NEW_SENTENCE)


def test_a_lesson_with_an_unknown_demo_is_refused_with_the_forms_message(
    staff_page: Page, new_page: Callable[..., Page]
) -> None:
    open_lesson_in_admin(staff_page)
    before = staff_page.locator("textarea#id_body").input_value()
    added = "\n\n```demo\nname: no-such-demo\n```\n"
    type_at_the_end(staff_page, added)
    staff_page.get_by_role("button", name="Save", exact=True).click()

    expect(staff_page.locator(".errornote")).to_be_visible()
    # The known demos are listed, whichever they are today.
    expect(staff_page.locator(".errorlist")).to_contain_text(
        re.compile(r"unknown demo 'no-such-demo' \(known demos: [a-z_, -]*\bsleep\b[a-z_, -]*\)")
    )
    # The editor's text is still in the form, to fix rather than retype.
    expect(staff_page.locator("textarea#id_body")).to_have_value(before + added)
    reader = new_page()
    reader.goto(LESSON_PATH)
    expect(reader.locator("h1")).to_have_text(LESSON_TITLE)
    expect(reader.locator(".demo[data-demo='no-such-demo']")).to_have_count(0)
    expect(reader.locator(".lesson-body")).not_to_contain_text("no-such-demo")
