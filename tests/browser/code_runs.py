"""A stand-in for the server's side of runs of a reader's code, for UI tests.

``FakeCodeRuns.install(page)`` routes the page's demo socket through
Playwright: every frame goes on to the real server and back, except a
``run`` that carries ``code``, which is kept in ``sent`` and answered with
the messages the test queued (``answer``), in the protocol's format. The page
cannot tell the difference; the server is not involved in those runs, so
tests using this check the page only, not the sandbox.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

from playwright.sync_api import Page, WebSocketRoute

Message = dict[str, Any]
Script = Callable[[Message], list[Message]]


class FakeCodeRuns:
    def __init__(self) -> None:
        self.sent: list[Message] = []
        self.scripts: list[Script] = []

    @classmethod
    def install(cls, page: Page) -> FakeCodeRuns:
        fake = cls()
        page.route_web_socket(re.compile(r"/ws/demos/$"), fake._route)
        return fake

    def answer(self, script: Script) -> None:
        """The next code run is answered with ``script(frame)``: its messages, ids added."""
        self.scripts.append(script)

    def _route(self, ws: WebSocketRoute) -> None:
        server = ws.connect_to_server()

        def from_page(message: str | bytes) -> None:
            frame = json.loads(message) if isinstance(message, str) else None
            if not (isinstance(frame, dict) and frame.get("type") == "run" and "code" in frame):
                server.send(message)
                return
            self.sent.append(frame)
            script = self.scripts.pop(0) if self.scripts else finished_ok
            for reply in script(frame):
                ws.send(json.dumps({**reply, "id": frame["id"]}))

        ws.on_message(from_page)
        server.on_message(ws.send)


# Scripts --------------------------------------------------------------------


def accepted(frame: Message) -> Message:
    return {"type": "accepted", "demo": frame["demo"], "mode": frame["mode"], "params": {}}


def finished_ok(frame: Message) -> list[Message]:
    return [
        accepted(frame),
        {
            "type": "finished",
            "elapsed": 0.01,
            "status": "ok",
            "summary": "Program executed in 0.01 seconds.",
        },
    ]


def tasks_run(count: int, seconds: float) -> Script:
    """``count`` tasks that each print Hello after ``seconds``, all at once."""

    def script(frame: Message) -> list[Message]:
        messages = [accepted(frame)]
        messages += [{"type": "task_started", "task": task, "t": 0.001} for task in range(count)]
        for task in range(count):
            end = round(seconds + 0.002 + task * 0.0001, 4)
            messages.append({"type": "output", "task": task, "text": "Hello", "t": end})
            messages.append({"type": "task_finished", "task": task, "t": end, "ok": True})
        messages.append(
            {
                "type": "finished",
                "elapsed": seconds + 0.01,
                "status": "ok",
                "summary": f"Program executed in {seconds + 0.01:.2f} seconds.",
            }
        )
        return messages

    return script


def raised(error: Message, *, ran: bool = True, output: list[Message] | None = None) -> Script:
    """A run that ends with ``error``; with ``ran=False``, a syntax error: nothing ran."""

    def script(frame: Message) -> list[Message]:
        messages = [accepted(frame), *(output or [])]
        messages.append(
            {
                "type": "finished",
                "elapsed": 0.02 if ran else 0,
                "status": "failed",
                "summary": "Program failed."
                if ran
                else "Nothing ran: the code has a syntax error.",
                "error": error,
            }
        )
        return messages

    return script


def stopped(reason: str, output: list[Message] | None = None) -> Script:
    def script(frame: Message) -> list[Message]:
        return [
            accepted(frame),
            *(output or []),
            {
                "type": "finished",
                "elapsed": 5.2,
                "status": "failed",
                "summary": "Program stopped after 5.20 seconds.",
                "reason": reason,
            },
        ]

    return script


def refused(code: str, message: str) -> Script:
    def script(frame: Message) -> list[Message]:
        return [{"type": "error", "code": code, "message": message}]

    return script
