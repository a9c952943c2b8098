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
# A run of the reader's own program carries it whole: up to MAX_CODE_BYTES of
# UTF-8, which JSON's escapes can make up to six times longer on the wire.
MAX_CODE_BYTES = 32 * 1024
MAX_CODE_FRAME_BYTES = 6 * MAX_CODE_BYTES + 1024
# \Z, not "$", which also accepts a trailing newline ("ok\n" would be an id).
RUN_ID = re.compile(r"\A[A-Za-z0-9_-]{1,64}\Z")
MODES = ("sync", "async")
# Lesson ids are PostgreSQL bigints.
MAX_LESSON_ID = 2**63 - 1
MAX_EXERCISE_INDEX = 1000


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
class ExerciseRef:
    """Which exercise a run is graded against: the lesson's id and the block's index (from 0).
    Only a reference: the goals are read from the saved lesson (exercises.selectors)."""

    lesson: int
    index: int


@dataclass(frozen=True, slots=True)
class RunRequest:
    id: str
    demo: str
    mode: str
    params: dict[str, Any]
    # Record the run at the level of its event loop (demos.tracer).
    trace: bool = False
    # The reader's own version of the listing of ``demo``'s ``mode``, run in a
    # sandbox (sandbox/), or None for the demo's own program.
    code: str | None = None
    # A run of the reader's code for an exercise: graded once over ("graded").
    exercise: ExerciseRef | None = None


@dataclass(frozen=True, slots=True)
class CancelRequest:
    id: str


@dataclass(frozen=True, slots=True)
class ShareRequest:
    """Share this connection's finished run ``id``, shared from lesson ``lesson`` (or None)."""

    id: str
    lesson: int | None = None


@dataclass(frozen=True)
class WatchRequest:
    """Tell me when this lesson is saved. ``lesson`` is a validated id, never raw text."""

    lesson: int


Request = RunRequest | CancelRequest | WatchRequest | ShareRequest


def parse_frame(text: str | None, data: bytes | None) -> Request:
    if text is None:
        raise ProtocolError("bad_message", "send JSON text frames, not binary ones")
    size = len(text.encode("utf-8", "surrogatepass"))
    if size > MAX_CODE_FRAME_BYTES:
        raise ProtocolError("bad_message", _FRAME_RULE)
    try:
        message = _DECODER.decode(text)
    except (ValueError, RecursionError):
        raise ProtocolError("bad_message", "the frame is not valid JSON") from None
    if not isinstance(message, dict):
        raise ProtocolError("bad_message", "the frame must be a JSON object")
    if size > MAX_FRAME_BYTES and not (message.get("type") == "run" and "code" in message):
        raise ProtocolError("bad_message", _FRAME_RULE, _usable_id(message.get("id")))
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
        case "share":
            if run_id is None:
                raise ProtocolError("bad_message", _ID_RULE)
            lesson = message.get("lesson")
            if lesson is not None:
                try:
                    lesson = _parse_lesson_id(lesson)
                except ProtocolError as error:
                    error.run_id = run_id
                    raise
            return ShareRequest(id=run_id, lesson=lesson)
        case None:
            raise ProtocolError("bad_message", f'the frame has no "type" ({_TYPES})')
        case other:
            raise ProtocolError(
                "bad_message", f"unknown type {brief_repr(other)} ({_TYPES})", run_id
            )


_TYPES = 'use "run", "cancel", "share" or "watch"'
_FRAME_RULE = (
    f"a frame may hold at most {MAX_FRAME_BYTES} bytes "
    f"({MAX_CODE_FRAME_BYTES} for a run with its code)"
)


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
    if "exercise" in message:
        return _parse_exercise_run(message, run_id)
    name = message.get("demo")
    demo = get_demo(name) if isinstance(name, str) else None
    if demo is None:
        raise ProtocolError("unknown_demo", f"there is no demo called {brief_repr(name)}", run_id)
    mode = message.get("mode")
    if mode not in MODES:
        raise ProtocolError("bad_message", '"mode" must be "sync" or "async"', run_id)
    trace = message.get("trace", False)
    if type(trace) is not bool:
        raise ProtocolError("bad_message", '"trace" must be true or false', run_id)
    if "code" in message:
        code = _parse_code(message, run_id)
        return RunRequest(id=run_id, demo=demo.name, mode=mode, params={}, trace=trace, code=code)
    try:
        params = clean_params(demo.params, message.get("params", {}))
    except ParamError as exc:
        raise ProtocolError("invalid_params", str(exc), run_id) from None
    variant = demo.variant(mode)
    if trace and variant.where is Where.THREAD:
        raise ProtocolError(
            "bad_message", "this variant runs in a thread, with no event loop to trace", run_id
        )
    if trace and not variant.traceable:
        raise ProtocolError(
            "bad_message",
            "this variant runs its work off the event loop, out of a trace's reach",
            run_id,
        )
    return RunRequest(id=run_id, demo=demo.name, mode=mode, params=params, trace=trace)


def _parse_exercise_run(message: dict[str, Any], run_id: str) -> RunRequest:
    """A run of the reader's code for an exercise: always traced, in the async mode."""
    ref = message["exercise"]
    if not isinstance(ref, dict) or set(ref) != {"lesson", "index"}:
        raise ProtocolError("bad_message", '"exercise" must be {"lesson": id, "index": n}', run_id)
    index = ref["index"]
    if type(index) is not int or not 0 <= index < MAX_EXERCISE_INDEX:
        raise ProtocolError(
            "bad_message", '"index" must be the exercise\'s number in the lesson, from 0', run_id
        )
    try:
        lesson = _parse_lesson_id(ref["lesson"])
    except ProtocolError as error:
        raise ProtocolError(error.code, error.message, run_id) from None
    if "demo" in message or message.get("mode", "async") != "async":
        raise ProtocolError(
            "bad_message", 'a run for an exercise names no "demo" and runs in "async" mode', run_id
        )
    if message.get("trace", True) is not True:
        raise ProtocolError("bad_message", "a run for an exercise is always traced", run_id)
    if "code" not in message:
        raise ProtocolError("bad_message", 'a run for an exercise carries its "code"', run_id)
    code = _parse_code(message, run_id)
    return RunRequest(id=run_id, demo="", mode="async", params={}, trace=True, code=code,
                      exercise=ExerciseRef(lesson=lesson, index=index))  # fmt: skip


def _parse_code(message: dict[str, Any], run_id: str) -> str:
    """The reader's program: text, valid UTF-8, at most MAX_CODE_BYTES, and no params.

    Its constants are its parameters (``TASKS = 5``); a traced run traces the
    first event loop it makes, whichever listing it came from.
    """
    code = message["code"]
    if not isinstance(code, str) or not code.strip():
        raise ProtocolError("bad_message", '"code" must be the program\'s text', run_id)
    try:
        size = len(code.encode("utf-8"))
    except UnicodeEncodeError:
        raise ProtocolError("bad_message", '"code" must be valid UTF-8 text', run_id) from None
    if size > MAX_CODE_BYTES:
        raise ProtocolError(
            "code_too_large",
            f"a program may hold at most {MAX_CODE_BYTES // 1024} KiB; this one has "
            f"{size / 1024:.1f} KiB",
            run_id,
        )
    if message.get("params") not in (None, {}):
        raise ProtocolError(
            "bad_message", "a run with code takes no params: its constants are its parameters",
            run_id,
        )  # fmt: skip
    return code
