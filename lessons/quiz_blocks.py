"""Quiz blocks in lesson Markdown: a fenced block with the info string ``quiz``.

Three kinds, told apart by the keys a block uses:

    ```quiz
    question: What does `await asyncio.sleep(0)` do?
    choices:
      - text: It lets the loop run other ready tasks once.
        right: true
        why: It suspends the task for one turn of the loop.
      - text: It blocks the thread for a moment.
        why: Nothing blocks; the task is suspended, not the thread.
    ```

- ``choices``: multiple choice. One choice marked ``right: true`` is answered
  with radio buttons, several with checkboxes. Each choice may say ``why``.
- ``order``: the lines in their right order; the reader sees them shuffled
  and puts them back in order.
- ``answer`` (a number) with ``tolerance`` and an optional ``unit``: a number
  within the tolerance counts as right; ``too_low`` and ``too_high`` may
  explain a miss either way.

Every kind may have ``why``: why the right answer is right. Text fields are
inline Markdown (code, emphasis, links), sanitized like the rest of a body.
"""

import hashlib
import math
from dataclasses import dataclass, field
from typing import Any

from demos.params import brief_repr
from lessons import plain_yaml
from lessons.body_limits import BodyError

# A question with eight choices and an explanation for each fits twice over.
MAX_QUIZ_BLOCK_BYTES = 6_000
MAX_TEXT_CHARS = 600
MAX_CHOICES = 8
MAX_LINES = 10
MAX_UNIT_CHARS = 12
# A lesson ends with a few questions; each block costs a YAML parse (about 0.7 ms).
MAX_QUIZZES = 40

CHOICE, ORDER, NUMBER = "choice", "order", "number"
_KEYS = {
    CHOICE: {"question", "choices", "why"},
    ORDER: {"question", "order", "why"},
    NUMBER: {"question", "answer", "tolerance", "unit", "why", "too_low", "too_high"},
}
_CHOICE_KEYS = {"text", "right", "why"}
_SHAPE = 'a quiz block needs "question:" and one of "choices:", "order:" or "answer:"'


class QuizBlockError(BodyError):
    """A quiz block a lesson cannot be saved with; the message names the problem."""


@dataclass(frozen=True)
class Choice:
    text: str
    right: bool = False
    why: str = ""


@dataclass(frozen=True)
class QuizBlock:
    kind: str  # CHOICE, ORDER or NUMBER
    question: str
    why: str = ""
    choices: tuple[Choice, ...] = ()
    order: tuple[str, ...] = ()  # the lines in their right order
    answer: float = 0.0
    tolerance: float = 0.0
    unit: str = ""
    too_low: str = ""
    too_high: str = ""
    # Where the reader first sees the lines of an ORDER quiz: a fixed shuffle.
    shown: tuple[int, ...] = field(default=())

    @property
    def several_right(self) -> bool:
        return sum(choice.right for choice in self.choices) > 1


def parse_quiz_block(text: str) -> QuizBlock:
    data = plain_yaml.load_block(
        text, kind="quiz", max_bytes=MAX_QUIZ_BLOCK_BYTES, error=QuizBlockError
    )
    if not isinstance(data, dict):
        raise QuizBlockError(f'{_SHAPE}, as lines of "key: value"')
    kinds = [kind for kind, key in ((CHOICE, "choices"), (ORDER, "order"), (NUMBER, "answer"))
             if key in data]  # fmt: skip
    if len(kinds) != 1:
        raise QuizBlockError(_SHAPE if not kinds else f"{_SHAPE}, not several of them")
    kind = kinds[0]
    unknown = sorted(str(key) for key in data if key not in _KEYS[kind])
    if unknown:
        allowed = ", ".join(sorted(_KEYS[kind]))
        raise QuizBlockError(f"unknown key {unknown[0]!r} in a quiz block (keys: {allowed})")
    question = _text(data, "question", required=True)
    why = _text(data, "why")
    if kind == CHOICE:
        return QuizBlock(kind, question, why, choices=_choices(data["choices"]))
    if kind == ORDER:
        lines = _lines(data["order"])
        return QuizBlock(kind, question, why, order=lines, shown=_shuffled(lines))
    return _number(data, question, why)


def _text(data: dict, key: str, *, required: bool = False, where: str = "") -> str:
    value = data.get(key)
    if value is None:
        if required:
            raise QuizBlockError(f'quiz block needs "{key}:"{where}')
        return ""
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise QuizBlockError(f"{key}{where} must be text, not {brief_repr(value)}")
    value = str(value).strip()
    if required and not value:
        raise QuizBlockError(f"{key}{where} is empty")
    if len(value) > MAX_TEXT_CHARS:
        raise QuizBlockError(
            f"{key}{where} holds {len(value):,} characters; at most {MAX_TEXT_CHARS} are allowed"
        )
    return value


def _choices(value: Any) -> tuple[Choice, ...]:
    if not isinstance(value, list) or not 2 <= len(value) <= MAX_CHOICES:
        raise QuizBlockError(f"choices must be a list of 2 to {MAX_CHOICES} choices")
    choices = []
    for number, item in enumerate(value, start=1):
        where = f" of choice {number}"
        if isinstance(item, str):
            item = {"text": item}
        if not isinstance(item, dict):
            raise QuizBlockError(f'choice {number} must be "text: ..." with "right:" and "why:"')
        unknown = sorted(str(key) for key in item if key not in _CHOICE_KEYS)
        if unknown:
            raise QuizBlockError(
                f"unknown key {unknown[0]!r} in choice {number} (keys: right, text, why)"
            )
        right = item.get("right", False)
        if not isinstance(right, bool):
            raise QuizBlockError(f"right{where} must be true or false, not {brief_repr(right)}")
        choices.append(
            Choice(_text(item, "text", required=True, where=where), right, _text(item, "why"))
        )
    if not any(choice.right for choice in choices):
        raise QuizBlockError('no choice is marked "right: true"')
    if len({choice.text for choice in choices}) < len(choices):
        raise QuizBlockError("two choices have the same text")
    return tuple(choices)


def _lines(value: Any) -> tuple[str, ...]:
    if not isinstance(value, list) or not 2 <= len(value) <= MAX_LINES:
        raise QuizBlockError(f"order must be a list of 2 to {MAX_LINES} lines, in the right order")
    lines = tuple(_text({"line": item}, "line", required=True, where=f" {n}")
                  for n, item in enumerate(value, start=1))  # fmt: skip
    if len(set(lines)) < len(lines):
        raise QuizBlockError("two lines of the order are the same; they could not be told apart")
    return lines


def _shuffled(lines: tuple[str, ...]) -> tuple[int, ...]:
    """A fixed shuffle of the lines' indexes, never their right order: the same
    block always renders the same way, so a page does not change between loads."""
    digest = hashlib.sha256("\n".join(lines).encode()).digest()
    indexes = sorted(range(len(lines)), key=lambda index: (digest[index % len(digest)], index))
    if indexes == list(range(len(lines))):
        indexes = indexes[1:] + indexes[:1]
    return tuple(indexes)


def _number(data: dict, question: str, why: str) -> QuizBlock:
    answer = _finite(data, "answer", required=True)
    tolerance = _finite(data, "tolerance")
    if tolerance < 0:
        raise QuizBlockError("tolerance must not be negative")
    unit = _text(data, "unit")
    if len(unit) > MAX_UNIT_CHARS:
        raise QuizBlockError(f"unit holds more than {MAX_UNIT_CHARS} characters")
    return QuizBlock(
        NUMBER,
        question,
        why,
        answer=answer,
        tolerance=tolerance,
        unit=unit,
        too_low=_text(data, "too_low"),
        too_high=_text(data, "too_high"),
    )


def _finite(data: dict, key: str, *, required: bool = False) -> float:
    value = data.get(key)
    if value is None:
        if required:
            raise QuizBlockError(f'quiz block needs "{key}:"')
        return 0.0
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise QuizBlockError(f"{key} must be a number, not {brief_repr(value)}")
    if abs(value) > 1e9:
        raise QuizBlockError(f"{key} must be at most a billion either way")
    return float(value)
