"""The room frames of the demo socket: parsed here, documented in docs/protocol.md ("Rooms").

``parse_room_frame`` returns None for any frame that is not a room frame, so
the demo protocol (live.protocol) handles it as before.
"""

import json
import math
import re
from dataclasses import dataclass
from typing import Any

from live.protocol import MAX_FRAME_BYTES, MAX_LESSON_ID, ProtocolError
from rooms import codes

# A heading's id as the lesson renderer makes it (a slug), never raw HTML.
SECTION_ID = re.compile(r"\A[A-Za-z][A-Za-z0-9_-]{0,99}\Z")
MAX_GUESS_SECONDS = 3600
MAX_QUESTION = 200
# A follower may change its mind, but each guess is a write and a chart for the teacher.
MAX_GUESSES_PER_ROUND = 5


@dataclass(frozen=True)
class RoomRequest:
    action: str  # open, join, leave, section, ask, guess, close
    lesson: int | None = None
    resume: bool = False
    code: str | None = None
    section: str = ""
    question: str = ""
    seconds: float = 0.0


def parse_room_frame(text: str | None) -> RoomRequest | None:
    # Cheap test first: most frames are runs and never mention rooms.
    if text is None or '"room_' not in text or len(text) > MAX_FRAME_BYTES:
        return None
    try:
        message = json.loads(text)
    except (ValueError, RecursionError):
        return None  # the demo protocol answers it (bad_message)
    if not isinstance(message, dict):
        return None
    kind = message.get("type")
    if not isinstance(kind, str) or not kind.startswith("room_"):
        return None
    action = kind.removeprefix("room_")
    match action:
        case "open":
            lesson = message.get("lesson")
            if type(lesson) is not int or not 1 <= lesson <= MAX_LESSON_ID:
                raise ProtocolError("bad_message", '"lesson" must be a lesson id')
            resume = message.get("resume", False)
            if type(resume) is not bool:
                raise ProtocolError("bad_message", '"resume" must be true or false')
            return RoomRequest("open", lesson=lesson, resume=resume)
        case "join":
            code = codes.normalize(message.get("code"))
            if code is None:
                raise ProtocolError("unknown_room", "that is not a room code (like ABCD-EFGH)")
            return RoomRequest("join", code=code)
        case "leave" | "close" | "unask":
            return RoomRequest(action)
        case "section":
            section = message.get("section")
            if not isinstance(section, str) or not SECTION_ID.fullmatch(section):
                raise ProtocolError("bad_message", '"section" must be a heading\'s id')
            return RoomRequest("section", section=section)
        case "ask":
            question = message.get("question", "")
            if not isinstance(question, str) or len(question) > MAX_QUESTION:
                raise ProtocolError(
                    "bad_message", f'"question" must be text of at most {MAX_QUESTION} characters'
                )
            return RoomRequest("ask", question=question.strip())
        case "guess":
            return RoomRequest("guess", seconds=_seconds(message.get("seconds")))
        case _:
            raise ProtocolError("bad_message", f"unknown room frame {kind[:40]!r}")


def _seconds(value: Any) -> float:
    if (
        type(value) not in (int, float)
        or not math.isfinite(value)
        or not 0 < value <= MAX_GUESS_SECONDS
    ):
        raise ProtocolError(
            "bad_message", f'"seconds" must be a number above 0 and at most {MAX_GUESS_SECONDS}'
        )
    return float(value)
