"""axe finds nothing serious or critical on the pages readers and staff use.

Pages are checked in both themes: most contrast problems show in one only.
The notice of a lesson updated while read is checked in test_admin_edit.py.
"""

from playwright.sync_api import Page, expect

from .accessibility import in_both_themes, serious_violations
from .widget import SLEEP_LESSON, DemoWidget


def test_home_and_course_pages_have_no_serious_violations(page: Page) -> None:
    for path, heading in [
        ("/", "See concurrency happen"),
        ("/courses/asyncio/", "Asynchronous programming with asyncio"),
    ]:
        page.goto(path)
        expect(page.get_by_role("heading", level=1)).to_have_text(heading)
        assert in_both_themes(page) == [], path


def test_a_lesson_has_no_serious_violations_before_and_after_a_run(page: Page) -> None:
    widget = DemoWidget.open(page, SLEEP_LESSON)
    assert in_both_themes(page) == []

    widget.fill(Tasks=3, Seconds_per_task=0.3)
    widget.run("Race both")
    expect(widget.speedup).to_be_visible()
    # The timeline table too: hidden until asked for, but then read cell by cell.
    widget.button("Show as table").click()
    expect(widget.root.locator(".run-table tbody tr")).to_have_count(6)
    assert in_both_themes(page) == []


def test_a_refused_value_has_no_serious_violations(page: Page) -> None:
    widget = DemoWidget.open(page, SLEEP_LESSON)
    widget.fill(Tasks=0)
    widget.press("Run async")
    expect(widget.field("Tasks")).to_have_attribute("aria-invalid", "true")
    assert serious_violations(page) == []


def test_the_admin_lesson_editor_has_no_serious_violations(staff_page: Page) -> None:
    staff_page.goto("/admin/lessons/lesson/")
    staff_page.get_by_role("link", name="Blocking vs non-blocking code", exact=True).click()
    # The body's Markdown editor, and the preview beside it, are ready.
    expect(staff_page.get_by_role("textbox", name="Body (Markdown)")).to_be_visible()
    expect(staff_page.locator(".lesson-editor-status")).to_have_text("Preview up to date.")
    assert serious_violations(staff_page) == []


def test_the_check_itself_catches_a_field_without_a_label(page: Page) -> None:
    # Proof that the checks above can fail: take a label away, axe must notice.
    widget = DemoWidget.open(page, SLEEP_LESSON)
    widget.root.locator("label", has_text="Seconds per task").evaluate("label => label.remove()")
    assert [v for v in serious_violations(page) if v.startswith("label (critical)")]
