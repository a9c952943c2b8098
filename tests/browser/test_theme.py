"""Light and dark: the page follows the system until the reader chooses, then remembers."""

import re
from collections.abc import Callable

import pytest
from playwright.sync_api import Page, expect

from .widget import SLEEP_LESSON

_RGB = re.compile(r"rgba?\((\d+), (\d+), (\d+)")


def background_is_dark(page: Page) -> bool:
    """Whether the page's background, as painted, is a dark colour."""
    colour = page.locator("body").evaluate("body => getComputedStyle(body).backgroundColor")
    red, green, blue = (int(part) for part in _RGB.match(colour).groups())
    return 0.2126 * red + 0.7152 * green + 0.0722 * blue < 128


def theme_button(page: Page):
    return page.get_by_role("button", name="Dark theme")


@pytest.mark.parametrize("system", ["light", "dark"])
def test_without_a_choice_the_page_follows_the_system(
    new_page: Callable[..., Page], system: str
) -> None:
    page = new_page(color_scheme=system)
    page.goto(SLEEP_LESSON)
    expect(theme_button(page)).to_have_attribute("aria-pressed", str(system == "dark").lower())
    assert background_is_dark(page) == (system == "dark")

    # The system changes while the page is open: the page changes with it.
    other = "light" if system == "dark" else "dark"
    page.emulate_media(color_scheme=other)
    expect(theme_button(page)).to_have_attribute("aria-pressed", str(other == "dark").lower())
    assert background_is_dark(page) == (other == "dark")


def test_the_toggle_switches_the_theme_and_remembers_the_choice(
    new_page: Callable[..., Page],
) -> None:
    page = new_page(color_scheme="light")
    page.goto(SLEEP_LESSON)
    button = theme_button(page)
    expect(button).to_have_attribute("aria-pressed", "false")

    button.click()
    expect(button).to_have_attribute("aria-pressed", "true")
    assert background_is_dark(page)

    # Another page of the site, and the same page again: still dark.
    page.goto("/")
    expect(theme_button(page)).to_have_attribute("aria-pressed", "true")
    assert background_is_dark(page)
    page.reload()
    assert background_is_dark(page)

    # A choice of light holds even when the system turns dark.
    theme_button(page).click()
    expect(theme_button(page)).to_have_attribute("aria-pressed", "false")
    page.emulate_media(color_scheme="dark")
    page.goto(SLEEP_LESSON)
    expect(theme_button(page)).to_have_attribute("aria-pressed", "false")
    assert not background_is_dark(page)
