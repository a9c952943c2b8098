"""The server stops and starts again while a reader has a lesson open.

The page must say it is reconnecting, refuse to start runs while it cannot,
and work again by itself once the server is back, without a reload.
"""

import re

from playwright.sync_api import Page, expect

from tests.servers import Site, daphne_stopped

from .widget import SLEEP_LESSON, DemoWidget

# The socket retries with a growing delay (up to 10 s), and daphne needs a
# few seconds to start on a busy machine.
BACK_TIMEOUT_MS = 45_000


def test_the_page_reconnects_by_itself_after_a_server_restart(page: Page, site: Site) -> None:
    loads = []
    page.on("load", lambda loaded: loads.append(loaded.url))
    widget = DemoWidget.open(page, SLEEP_LESSON)
    # A run is going when the server stops: the reader is told why it ended.
    widget.fill(Tasks=1, Seconds_per_task=5)
    widget.press("Run async")
    expect(widget.lanes("async", state="running")).to_have_count(1)

    with daphne_stopped(site):
        expect(widget.result("async")).to_have_text(
            re.compile(r"Cancelled after \d+\.\d\d s — the server is restarting; run it again")
        )
        expect(widget.connection_note).to_have_text("Reconnecting to the server…")
        expect(widget.root).to_have_attribute("data-connection", "reconnecting")
        for name in ("Run sync", "Run async", "Race both"):
            expect(widget.button(name)).to_have_attribute("aria-disabled", "true")

    expect(widget.connection_note).to_have_text(
        "Connected to the server again.", timeout=BACK_TIMEOUT_MS
    )
    widget.wait_until_connected()
    widget.fill(Tasks=3, Seconds_per_task=0.5)
    widget.run("Run async")

    expect(widget.console_lines("async", kind="output")).to_have_count(3)
    assert 0.45 <= widget.elapsed("async") <= 1.0
    assert len(loads) == 1, f"the page was loaded again: {loads}"
