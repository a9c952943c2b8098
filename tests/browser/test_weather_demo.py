"""The weather demo against the bundled simulator, with one city that always fails.

``fail-500`` is one of the simulator's fault cities: it answers HTTP 500. The
reader must still get the other cities' temperatures, in both versions, and
see plainly which city failed and why.
"""

import re

from playwright.sync_api import Page, expect

from .widget import WEATHER_LESSON, DemoWidget

GOOD_CITIES = ["paris", "toulouse"]
FAILING_CITY = "fail-500"


def test_one_failing_city_shows_its_error_and_the_others_their_temperatures(page: Page) -> None:
    widget = DemoWidget.open(page, WEATHER_LESSON)
    widget.fill(Cities=", ".join([GOOD_CITIES[0], FAILING_CITY, GOOD_CITIES[1]]))
    widget.run("Race both")

    for mode in ("sync", "async"):
        temperatures = widget.console_lines(mode, kind="output")
        expect(temperatures).to_have_count(len(GOOD_CITIES))
        for city in GOOD_CITIES:
            line = temperatures.filter(has_text=f"Temperature at {city}:")
            expect(line).to_have_text(re.compile(rf"{city}: Temperature at {city}: -?\d+ C$"))
            expect(widget.lane(mode, city)).to_have_attribute("data-state", "ok")

        error = widget.console_lines(mode, kind="error")
        expect(error).to_have_count(1)
        expect(error).to_contain_text(f"{FAILING_CITY} failed: HTTP 500 from the server")
        lane = widget.lane(mode, FAILING_CITY)
        expect(lane).to_have_attribute("data-state", "failed")
        expect(lane.locator(".tl-note")).to_be_visible()
        expect(lane.locator(".tl-note")).to_have_text("HTTP 500 from the server")
        expect(widget.result(mode)).to_contain_text("1 of 3 tasks failed.")
