"""Classroom rooms in real browsers: a teacher's run, followed live by three readers.

The teacher is staff on one browser context; each reader is a context of
their own that came by the room's join link, with no account.
"""

import re

import pytest
from playwright.sync_api import Locator, Page, expect

from .accessibility import in_both_themes
from .widget import RUN_TIMEOUT_MS, SLEEP_LESSON, DemoWidget

SECTION = "Why 6 seconds versus 2"


def panel(page: Page) -> Locator:
    return page.get_by_role("region", name="Classroom room")


def open_room(teacher: Page) -> str:
    """Opens a new room on the sleep lesson; its join link, as the panel shows it."""
    DemoWidget.open(teacher, SLEEP_LESSON)
    # The teacher's room of an earlier test is found again on the page: close it.
    expect(panel(teacher)).not_to_have_attribute("data-state", "unknown")
    if panel(teacher).get_attribute("data-state") == "open":
        panel(teacher).get_by_role("button", name="Close the room").click()
        expect(panel(teacher)).to_have_attribute("data-state", "closed")
    panel(teacher).get_by_role("button", name="Open a room").click()
    expect(panel(teacher)).to_have_attribute("data-state", "open")
    code = panel(teacher).locator(".room-code").inner_text()
    assert re.fullmatch(r"[A-Z0-9]{4}-[A-Z0-9]{4}", code)
    link = panel(teacher).get_by_role("link").get_attribute("href")
    assert link.endswith(f"/rooms/{code}/")
    return link


def join(reader: Page, link: str) -> DemoWidget:
    reader.goto(link)
    expect(reader).to_have_url(re.compile(rf"{re.escape(SLEEP_LESSON)}\?room="))
    expect(reader.locator(".room-banner")).to_have_attribute("data-state", "following")
    widget = DemoWidget(reader, reader.locator(".demo-widget").first)
    widget.wait_until_connected()
    return widget


def test_three_readers_follow_the_teacher_s_run_and_guesses(new_page, staff_page: Page) -> None:
    teacher = staff_page
    link = open_room(teacher)
    readers = [new_page(viewport={"width": 1280, "height": 900}) for _ in range(2)]
    readers.append(new_page(viewport={"width": 360, "height": 740}))  # a phone
    followed = [join(reader, link) for reader in readers]
    for reader in readers:
        expect(reader.locator(".room-banner")).to_contain_text("Following editor's room —")
        expect(reader.get_by_role("button", name="Stop following")).to_be_visible()

    # The teacher asks; every reader answers on their own screen.
    panel(teacher).get_by_role("button", name="Ask for guesses").click()
    for reader, seconds in zip(readers, ("0.2", "0.4", "1"), strict=True):
        field = reader.get_by_label("How long will the next run take, in total?")
        field.fill(seconds)
        reader.get_by_role("button", name="Send my guess").click()
        expect(reader.locator(".room-note")).to_have_text(
            f"Your guess of {float(seconds):g} s was sent."
        )
    chart = panel(teacher).locator(".room-guesses")
    expect(chart).to_have_attribute("data-count", "3")
    expect(panel(teacher).locator(".room-histogram-caption")).to_contain_text("3 guesses")

    # The teacher's run, once, on the teacher's page; each reader sees it live.
    widget = DemoWidget(teacher, teacher.locator(".demo-widget").first)
    widget.fill(Tasks=2, Seconds_per_task=0.2)
    widget.run("Run async")
    elapsed = widget.elapsed("async")
    for reader_widget in followed:
        reader_widget.wait_for("done")
        assert reader_widget.elapsed("async") == elapsed
        expect(reader_widget.console_lines("async")).to_have_count(
            widget.console_lines("async").count()
        )
        # The teacher's run, not theirs: only the teacher may share it.
        expect(reader_widget.root.get_by_role("button", name="Share the async run")).to_be_hidden()
    expect(widget.root.get_by_role("button", name="Share the async run")).to_be_visible()
    # The figure the teacher's widget shows, compared as text: both sides format
    # the same elapsed time with one formatter, whatever its rounding.
    shown = widget.root.locator(".tl-group[data-mode='async'] .tl-group-status").inner_text()
    assert re.fullmatch(r"\d+\.\d\d s", shown)
    assert abs(float(shown.removesuffix(" s")) - elapsed) <= 0.005 + 1e-9
    expect(panel(teacher).locator(".room-histogram-caption")).to_contain_text(
        f"Measured: {shown}.", timeout=RUN_TIMEOUT_MS
    )
    expect(panel(teacher).locator(".room-bin.has-measured")).to_have_count(1)
    expect(panel(teacher).locator(".room-measured")).to_have_text(f"measured {shown}")
    for reader in readers:
        expect(reader.locator(".room-note")).to_have_text(
            f"Guessing is over. The run took {shown}."
        )
    assert in_both_themes(teacher) == []
    assert in_both_themes(readers[0]) == []


@pytest.mark.parametrize("width", [1280, 360])
def test_the_teacher_s_panel_sits_under_the_title_above_the_lesson(
    staff_page: Page, width: int
) -> None:
    staff_page.set_viewport_size({"width": width, "height": 900})
    staff_page.goto(SLEEP_LESSON)
    expect(staff_page.locator(".lesson.has-toc")).to_have_count(1)  # laid out as a grid
    expect(panel(staff_page)).not_to_have_attribute("data-state", "unknown")
    header = staff_page.locator(".lesson-header").bounding_box()
    box = panel(staff_page).bounding_box()
    first_section = staff_page.locator(".lesson-body h2").first.bounding_box()
    assert header["y"] + header["height"] <= box["y"]
    assert box["y"] + box["height"] <= first_section["y"]
    # In the lesson's column, beside the contents on a wide screen, not under them.
    assert abs(box["x"] - header["x"]) <= 1


def test_the_teacher_brings_everyone_to_a_section_and_readers_may_stop_following(
    new_page, staff_page: Page
) -> None:
    teacher = staff_page
    link = open_room(teacher)
    reader = new_page(viewport={"width": 1280, "height": 900})
    join(reader, link)
    panel(teacher).get_by_label("Section").select_option(label=SECTION)
    panel(teacher).get_by_role("button", name="Bring everyone here").click()
    heading = reader.get_by_role("heading", name=SECTION)
    expect(heading).to_be_focused()
    expect(heading).to_be_in_viewport()

    # From the keyboard: stop following, then follow again.
    stop = reader.get_by_role("button", name="Stop following")
    stop.focus()
    reader.keyboard.press("Enter")
    expect(reader.locator(".room-banner")).to_contain_text("You stopped following editor's room.")
    again = reader.get_by_role("button", name="Follow again")
    expect(again).to_be_focused()
    reader.keyboard.press("Enter")
    expect(reader.locator(".room-banner")).to_have_attribute("data-state", "following")

    # A guess sent from the keyboard alone.
    panel(teacher).get_by_role("button", name="Ask for guesses").click()
    field = reader.get_by_label("How long will the next run take, in total?")
    field.focus()
    reader.keyboard.type("2.5")
    reader.keyboard.press("Enter")
    expect(reader.locator(".room-note")).to_have_text("Your guess of 2.5 s was sent.")
    expect(panel(teacher).locator(".room-guesses")).to_have_attribute("data-count", "1")

    panel(teacher).get_by_role("button", name="Close the room").click()
    expect(panel(teacher)).to_have_attribute("data-state", "closed")
    expect(reader.locator(".room-banner-text")).to_have_text("editor's room has ended.")
    assert in_both_themes(reader) == []


def test_a_reader_who_guesses_too_often_is_told_and_keeps_following(
    new_page, staff_page: Page
) -> None:
    teacher = staff_page
    link = open_room(teacher)
    reader = new_page(viewport={"width": 360, "height": 740})
    join(reader, link)
    panel(teacher).get_by_role("button", name="Ask for guesses").click()
    field = reader.get_by_label("How long will the next run take, in total?")
    note = reader.locator(".room-note")
    for seconds in range(1, 7):
        field.fill(str(seconds))
        reader.get_by_role("button", name="Send my guess").click()
        if seconds <= 5:
            expect(note).to_have_text(f"Your guess of {seconds} s was sent.")
    expect(note).to_have_text("at most 5 guesses a round; your last one counts")
    expect(reader.locator(".room-banner")).to_have_attribute("data-state", "following")
    expect(panel(teacher).locator(".room-guesses")).to_have_attribute("data-count", "1")
    expect(panel(teacher).locator(".room-histogram-caption")).to_contain_text("median 5")


def test_a_closed_or_unknown_room_says_so(page: Page) -> None:
    # Fetched, not opened: the browser would report the 404 as a page problem.
    response = page.request.get("/rooms/ACDE-FGHJ/")
    assert response.status == 404
    assert "There is no room ACDE-FGHJ" in response.text()
    page.goto(f"{SLEEP_LESSON}?room=ACDE-FGHJ")
    expect(page.locator(".room-banner")).to_have_attribute("data-state", "ended")
    expect(page.locator(".room-banner-text")).to_have_text(
        "There is no room ACDE-FGHJ; check the code."
    )
    assert in_both_themes(page) == []
