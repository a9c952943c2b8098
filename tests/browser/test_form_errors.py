"""Out-of-range parameters: the form refuses them, and the server refuses them again.

The widget checks values against the catalog's bounds before sending. The
second test plays a page whose check was bypassed: Playwright sits on the
page's websocket and rewrites the run frame on its way out, so the server
receives a value the form would never send, and what the reader sees is the
server's own answer.
"""

import json
import re

from playwright.sync_api import Page, WebSocketRoute, expect

from .widget import SLEEP_LESSON, DemoWidget


def test_an_out_of_range_value_is_refused_in_the_form(page: Page) -> None:
    widget = DemoWidget.open(page, SLEEP_LESSON)
    tasks = widget.field("Tasks")
    tasks.fill("11")
    widget.press("Run async")

    error = widget.root.locator(".field-error").filter(has_text="Tasks")
    expect(error).to_be_visible()
    expect(error).to_have_text("Tasks must be from 1 to 10; 11 is out of range.")
    expect(tasks).to_have_attribute("aria-invalid", "true")
    expect(tasks).to_be_focused()
    # Screen readers hear the message with the field.
    expect(tasks).to_have_accessible_description(
        re.compile(r"Tasks must be from 1 to 10; 11 is out of range\. Whole number from 1 to 10\.$")
    )
    expect(widget.status).to_have_text("Nothing was sent: fix the highlighted value first.")
    expect(widget.root).to_have_attribute("data-state", "idle")
    expect(widget.result("async")).to_have_text("async: Not run yet.")

    # Fixing the value takes the message away at once.
    tasks.fill("2")
    expect(error).to_be_hidden()
    expect(tasks).not_to_have_attribute("aria-invalid", "true")


def test_a_value_sent_anyway_is_answered_with_the_servers_error(page: Page) -> None:
    sent, received = [], []

    def tamper(socket: WebSocketRoute) -> None:
        server = socket.connect_to_server()

        def outgoing(message: str | bytes) -> None:
            frame = json.loads(message)
            if frame.get("type") == "run":
                frame["params"]["tasks"] = 11
            sent.append(frame)
            server.send(json.dumps(frame))

        def incoming(message: str | bytes) -> None:
            received.append(json.loads(message))
            socket.send(message)

        socket.on_message(outgoing)
        server.on_message(incoming)

    page.route_web_socket("**/ws/demos/", tamper)
    widget = DemoWidget.open(page, SLEEP_LESSON)
    widget.fill(Tasks=3, Seconds_per_task=0.5)
    widget.run("Run async", state="error")

    server_says = "tasks must be from 1 to 10, got 11"
    runs = [frame for frame in sent if frame["type"] == "run"]
    assert [frame["params"]["tasks"] for frame in runs] == [11]
    answers = [message for message in received if message.get("id") == runs[0]["id"]]
    assert [(m["type"], m.get("code"), m.get("message")) for m in answers] == [
        ("error", "invalid_params", server_says)
    ]
    tasks = widget.field("Tasks")
    error = widget.root.locator(".field-error").filter(has_text=server_says)
    expect(error).to_have_text(f"The server refused this value: {server_says}")
    expect(tasks).to_have_attribute("aria-invalid", "true")
    expect(widget.result("async")).to_have_text(f"async: Not run: {server_says}")
    expect(widget.console_lines("async")).to_have_text([f"async Not run: {server_says}"])
    expect(widget.status).to_have_text(f"async was not run: {server_says}")
