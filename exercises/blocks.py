"""Exercise blocks in lesson Markdown: a fenced block with the info string ``exercise``.

    ```exercise
    title: Make the sleeps overlap
    task: The three sleeps run one after another. Make them run at the same time.
    start: |
      import asyncio
      ...
    solution: |
      ...
    goals:
      - total_under: 1.5
      - running_at_least: 3
    hints:
      - Which function runs several awaitables at once?
    ```

``title``, ``task`` and ``hints`` are inline Markdown. ``start`` and
``solution`` are whole programs run with ``python``; they are compiled here
(never run: a run happens in the sandbox only). ``goals`` is a list of
one-key mappings, each kind at most once; ``GOAL_KINDS`` says each one's
value and unit.
"""

import math
from dataclasses import dataclass
from typing import Any

from demos.params import brief_repr
from lessons import plain_yaml
from lessons.body_limits import BodyError

# Two programs of about a hundred lines each, with the rest of the block.
MAX_EXERCISE_BLOCK_BYTES = 16_000
MAX_PROGRAM_CHARS = 6_000
MAX_TEXT_CHARS = 600
MAX_TITLE_CHARS = 120
MAX_GOALS = 8
MAX_HINTS = 8
MAX_LINES_WANTED = 20
# Each block costs a YAML parse and two compiles: about 3 ms for the bundled ones.
MAX_EXERCISES = 10

# A run's weather connections are relayed 64 at a time (sandbox.launcher.WeatherBridge):
# a goal past that could never be met.
MAX_IN_FLIGHT = 64

_KEYS = {"title", "task", "start", "solution", "goals", "hints"}
_REQUIRED = ("title", "task", "start", "solution", "goals")

# kind -> (what its value is, for messages)
GOAL_KINDS = {
    "total_under": "seconds, a number above 0 and at most 60",
    "running_at_least": "a whole number of tasks from 1 to 1000",
    "loop_blocked_under": "milliseconds, a number above 0 and at most 10000",
    "in_flight_at_most": f"a whole number of requests from 1 to {MAX_IN_FLIGHT}",
    "in_flight_at_least": f"a whole number of requests from 1 to {MAX_IN_FLIGHT}",
    "all_finished": "true",
    "output_has": "a list of the lines the output must hold",
    "no_exception": "true",
}


class ExerciseBlockError(BodyError):
    """An exercise block a lesson cannot be saved with; the message names the problem."""


@dataclass(frozen=True)
class Goal:
    kind: str
    # A number (seconds, milliseconds, a count), True, or a tuple of lines.
    limit: Any

    def as_json(self) -> dict[str, Any]:
        limit = list(self.limit) if isinstance(self.limit, tuple) else self.limit
        return {"kind": self.kind, "limit": limit}


@dataclass(frozen=True)
class ExerciseBlock:
    title: str
    task: str
    start: str
    solution: str
    goals: tuple[Goal, ...]
    hints: tuple[str, ...] = ()

    def stored(self) -> dict[str, Any]:
        """What the server grades with, kept with the lesson (never read from a page)."""
        return {"title": self.title, "goals": [goal.as_json() for goal in self.goals]}


def parse_exercise_block(text: str) -> ExerciseBlock:
    data = plain_yaml.load_block(
        text, kind="exercise", max_bytes=MAX_EXERCISE_BLOCK_BYTES, error=ExerciseBlockError
    )
    if not isinstance(data, dict):
        raise ExerciseBlockError('an exercise block is lines of "key: value" (title, task, ...)')
    unknown = sorted(str(key) for key in data if key not in _KEYS)
    if unknown:
        raise ExerciseBlockError(
            f"unknown key {unknown[0]!r} in an exercise block (keys: {', '.join(sorted(_KEYS))})"
        )
    for key in _REQUIRED:
        if key not in data:
            raise ExerciseBlockError(f'exercise block needs "{key}:"')
    title = _text(data.get("title"), "title", limit=MAX_TITLE_CHARS)
    task = _text(data.get("task"), "task")
    start = _program(data.get("start"), "start")
    solution = _program(data.get("solution"), "solution")
    if start.strip() == solution.strip():
        raise ExerciseBlockError("start and solution are the same program")
    return ExerciseBlock(
        title=title,
        task=task,
        start=start,
        solution=solution,
        goals=_goals(data.get("goals")),
        hints=_hints(data.get("hints")),
    )


def _text(value: Any, name: str, *, limit: int = MAX_TEXT_CHARS) -> str:
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise ExerciseBlockError(f"{name} must be text, not {brief_repr(value)}")
    value = str(value).strip()
    if not value:
        raise ExerciseBlockError(f"{name} is empty")
    if len(value) > limit:
        raise ExerciseBlockError(
            f"{name} holds {len(value):,} characters; at most {limit} are allowed"
        )
    return value


def _program(value: Any, name: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ExerciseBlockError(f'{name} must be a whole program, written after "{name}: |"')
    if len(value) > MAX_PROGRAM_CHARS:
        raise ExerciseBlockError(
            f"{name} holds {len(value):,} characters; at most {MAX_PROGRAM_CHARS:,} are allowed"
        )
    try:
        # Compiled only, never run: a reader's run happens in the sandbox.
        compile(value, "main.py", "exec", dont_inherit=True)
    except SyntaxError as exc:
        where = f" at line {exc.lineno} of the program" if exc.lineno else ""
        raise ExerciseBlockError(f"{name} does not compile{where}: {exc.msg}") from None
    except (ValueError, RecursionError, MemoryError) as exc:
        raise ExerciseBlockError(f"{name} does not compile: {exc}") from None
    return value if value.endswith("\n") else value + "\n"


def _goals(value: Any) -> tuple[Goal, ...]:
    if not isinstance(value, list) or not 1 <= len(value) <= MAX_GOALS:
        raise ExerciseBlockError(
            f'goals must be a list of 1 to {MAX_GOALS} goals ("- kind: value")'
        )
    goals: list[Goal] = []
    for number, item in enumerate(value, start=1):
        if not isinstance(item, dict) or len(item) != 1:
            raise ExerciseBlockError(
                f'goal {number} must be one "kind: value" (kinds: {", ".join(GOAL_KINDS)})'
            )
        ((kind, limit),) = item.items()
        if kind not in GOAL_KINDS:
            raise ExerciseBlockError(
                f"unknown goal {brief_repr(kind)} (goal {number}; kinds: {', '.join(GOAL_KINDS)})"
            )
        if any(goal.kind == kind for goal in goals):
            raise ExerciseBlockError(f"goal {kind} is given twice")
        goals.append(Goal(kind, _limit(kind, limit)))
    return tuple(goals)


def _limit(kind: str, value: Any) -> Any:
    wrong = ExerciseBlockError(f"{kind} takes {GOAL_KINDS[kind]}, not {brief_repr(value)}")
    if kind in ("all_finished", "no_exception"):
        if value is not True:
            raise wrong
        return True
    if kind == "output_has":
        if not isinstance(value, list) or not 1 <= len(value) <= MAX_LINES_WANTED:
            raise ExerciseBlockError(f"output_has takes a list of 1 to {MAX_LINES_WANTED} lines")
        return tuple(_text(line, f"line {n} of output_has", limit=200)
                     for n, line in enumerate(value, start=1))  # fmt: skip
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise wrong
    if kind == "total_under":
        if not 0 < value <= 60:
            raise wrong
        return float(value)
    if kind == "loop_blocked_under":
        if not 0 < value <= 10_000:
            raise wrong
        return float(value)
    most = MAX_IN_FLIGHT if kind.startswith("in_flight") else 1000
    if not isinstance(value, int) or not 1 <= value <= most:
        raise wrong
    return value


def _hints(value: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    if not isinstance(value, list) or len(value) > MAX_HINTS:
        raise ExerciseBlockError(f"hints must be a list of at most {MAX_HINTS} hints")
    return tuple(_text(hint, f"hint {n}") for n, hint in enumerate(value, start=1))
