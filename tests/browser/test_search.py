"""Searching from the header: the box on every page, the results, the way to the section."""

from collections.abc import Callable

import pytest
from playwright.sync_api import Page, expect

from .accessibility import in_both_themes

PHONE = {"width": 360, "height": 780}
LESSON = "/courses/asyncio/limiting-concurrency/"


def header_box(page: Page):
    header = page.get_by_role("banner").get_by_role("search", name="Site")
    return header.get_by_role("searchbox", name="Search the lessons")


def search_from_the_header(page: Page, words: str) -> None:
    box = header_box(page)
    box.fill(words)
    box.press("Enter")
    expect(page.get_by_role("heading", level=1, name="Search")).to_be_visible()


def test_a_reader_finds_a_lesson_and_follows_the_link_to_its_section(page: Page) -> None:
    page.goto("/")
    search_from_the_header(page, "semaphore")

    result = page.locator(".search-result", has_text="Limiting concurrency").first
    expect(result).to_be_visible()
    expect(result.locator("mark").first).to_have_text("semaphore", ignore_case=True)
    passage = result.locator("a.search-passage-heading").first
    href = passage.get_attribute("href")
    assert href.startswith(LESSON + "#")

    passage.click()

    expect(page).to_have_url(page.url.split("/courses/")[0] + href)
    section = page.locator(f"#{href.split('#')[1]}")
    expect(section).to_be_visible()
    expect(section).to_be_in_viewport()


def test_search_works_without_javascript(new_page: Callable[..., Page]) -> None:
    page = new_page(viewport={"width": 1280, "height": 900}, java_script_enabled=False)
    page.goto(LESSON)
    search_from_the_header(page, "semaphores")

    expect(page.locator(".search-result mark").first).to_be_visible()


def test_the_search_pages_have_no_serious_violations(page: Page) -> None:
    page.goto("/search/?q=semaphore")
    expect(page.locator(".search-result").first).to_be_visible()
    assert in_both_themes(page) == []

    page.goto("/search/?q=%22%28*")
    expect(page.get_by_text("There are no words to search for")).to_be_visible()
    assert in_both_themes(page) == []


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("path", ["/", LESSON, "/search/?q=semaphore"])
def test_at_phone_width_the_header_box_fits_without_sideways_scrolling(
    new_page: Callable[..., Page], scheme: str, path: str
) -> None:
    page = new_page(viewport=PHONE, color_scheme=scheme)
    page.goto(path)

    box = header_box(page)
    expect(box).to_be_visible()
    bounds = box.bounding_box()
    assert bounds["x"] >= 0
    assert bounds["x"] + bounds["width"] <= PHONE["width"]
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
