"""The demo websocket protocol: parse what a reader sends, shape what we send back.

Documented for people in docs/protocol.md. Parsing is pure: it either returns a
request or raises ``ProtocolError`` carrying the code and message the reader
gets, so the consumer stays a thin adapter.
"""

import json
import re
from dataclasses import dataclass
from typing import Any

from demos.base import Where
from demos.params import ParamError, brief_repr, clean_params
from demos.registry import get_demo

MAX_FRAME_BYTES = 16 * 1024
# \Z, not "$", which also accepts a trailing newline ("ok\n" would be an id).
RUN_ID = re.compile(r"\A[A-Za-z0-9_-]{1,64}\Z")
MODES = ("sync", "async")
# Lesson ids are PostgreSQL bigints.
MAX_LESSON_ID = 2**63 - 1


class ProtocolError(Exception):
    def __init__(self, code: str, message: str, run_id: str | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.run_id = run_id

    def as_message(self) -> dict[str, Any]:
        message: dict[str, Any] = {"type": "error", "code": self.code, "message": self.message}
        if self.run_id is not None:
            message["id"] = self.run_id
        return message


@dataclass(frozen=True, slots=True)
class RunRequest:
    id: str
    demo: str
    mode: str
    params: dict[str, Any]
    # Record the run at the level of its event loop (demos.tracer).
    trace: bool = False


@dataclass(frozen=True, slots=True)
class CancelRequest:
    id: str


@dataclass(frozen=True)
class WatchRequest:
    """Tell me when this lesson is saved. ``lesson`` is a validated id, never raw text."""

    lesson: int


Request = RunRequest | CancelRequest | WatchRequest


def parse_frame(text: str | None, data: bytes | None) -> Request:
    if text is None:
        raise ProtocolError("bad_message", "send JSON text frames, not binary ones")
    if len(text.encode("utf-8", "surrogatepass")) > MAX_FRAME_BYTES:
        raise ProtocolError("bad_message", f"a frame may hold at most {MAX_FRAME_BYTES} bytes")
    try:
        message = _DECODER.decode(text)
    except (ValueError, RecursionError):
        raise ProtocolError("bad_message", "the frame is not valid JSON") from None
    if not isinstance(message, dict):
        raise ProtocolError("bad_message", "the frame must be a JSON object")
    run_id = _usable_id(message.get("id"))
    match message.get("type"):
        case "run":
            return _parse_run(message, run_id)
        case "cancel":
            if run_id is None:
                raise ProtocolError("bad_message", _ID_RULE)
            return CancelRequest(id=run_id)
        case "watch":
            return WatchRequest(lesson=_parse_lesson_id(message.get("lesson")))
        case None:
            raise ProtocolError("bad_message", f'the frame has no "type" ({_TYPES})')
        case other:
            raise ProtocolError(
                "bad_message", f"unknown type {brief_repr(other)} ({_TYPES})", run_id
            )


_TYPES = 'use "run", "cancel" or "watch"'


_ID_RULE = '"id" must be 1 to 64 letters, digits, "_" or "-"'


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


# Made once: json.loads with an option builds a decoder per call.
_DECODER = json.JSONDecoder(parse_constant=_refuse_constant)


def _usable_id(value: Any) -> str | None:
    return value if isinstance(value, str) and RUN_ID.fullmatch(value) else None


def _parse_lesson_id(value: Any) -> int:
    # bool is an int in Python, but true is not a lesson.
    if type(value) is not int or not 1 <= value <= MAX_LESSON_ID:
        raise ProtocolError("bad_message", '"lesson" must be a lesson id (a whole number from 1)')
    return value


def _parse_run(message: dict[str, Any], run_id: str | None) -> RunRequest:
    if run_id is None:
        raise ProtocolError("bad_message", _ID_RULE)
    name = message.get("demo")
    demo = get_demo(name) if isinstance(name, str) else None
    if demo is None:
        raise ProtocolError("unknown_demo", f"there is no demo called {brief_repr(name)}", run_id)
    mode = message.get("mode")
    if mode not in MODES:
        raise ProtocolError("bad_message", '"mode" must be "sync" or "async"', run_id)
    try:
        params = clean_params(demo.params, message.get("params", {}))
    except ParamError as exc:
        raise ProtocolError("invalid_params", str(exc), run_id) from None
    trace = message.get("trace", False)
    if type(trace) is not bool:
        raise ProtocolError("bad_message", '"trace" must be true or false', run_id)
    if trace and demo.variant(mode).where is Where.THREAD:
        raise ProtocolError(
            "bad_message", "this variant runs in a thread, with no event loop to trace", run_id
        )
    return RunRequest(id=run_id, demo=demo.name, mode=mode, params=params, trace=trace)
