"""Goals as plain functions: each grades one measured run against one limit.

Every function takes a ``MeasuredRun`` and the goal's limit and returns a
``Verdict``: passed or not, the measured figure, the limit, a short text
putting them side by side ("total 3.02 s; needs under 1.5 s") and, where
the run has one, the moment in it that decided the verdict (``at``, seconds
on the run's clock, the one its timeline uses).

What the figures come from: the run's tasks, output, exception and elapsed
time are reported by the site's code inside the sandbox (``sandbox.inside``),
the event loop's steps by its tracer; the weather requests in flight are
counted outside the sandbox (``sandbox.launcher.WeatherCount``). Figures are
never taken from the page.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from exercises.blocks import Goal


@dataclass(frozen=True)
class MeasuredRun:
    status: str  # "ok" | "failed" | "cancelled"
    elapsed: float
    # False when the run did not end by itself: cancelled, or stopped at a limit.
    complete: bool = True
    tasks: list[dict[str, Any]] = field(default_factory=list)
    trace: list[dict[str, Any]] | None = None
    printed: list[str] = field(default_factory=list)
    error: dict[str, Any] | None = None
    # {"peak", "peak_at", "requests"} counted outside the sandbox, or None where not counted.
    weather: dict[str, Any] | None = None


@dataclass(frozen=True)
class Verdict:
    passed: bool
    measured: Any
    limit: Any
    figure: str
    at: float | None = None


def _seconds(value: float) -> str:
    return f"{value:.2f} s"


def _number(value: float) -> str:
    return f"{value:g}"


def _unended(run: MeasuredRun) -> str:
    return "the run did not end by itself" if run.status != "cancelled" else "the run was cancelled"


def total_under(run: MeasuredRun, limit: float) -> Verdict:
    passed = run.complete and run.elapsed < limit
    figure = f"total {_seconds(run.elapsed)}; needs under {_number(limit)} s"
    if not run.complete:
        figure = f"{_unended(run)} ({_seconds(run.elapsed)}); needs to end under {_number(limit)} s"
    return Verdict(passed, round(run.elapsed, 4), limit, figure, None if passed else limit)


def running_peak(tasks: list[dict[str, Any]], until: float) -> tuple[int, float | None]:
    """The most tasks running at one moment, and the first moment it happened."""
    moves: list[tuple[float, int]] = []
    for task in tasks:
        start, end = task.get("start"), task.get("end")
        if not isinstance(start, int | float):
            continue
        end = end if isinstance(end, int | float) else until
        # An end sorts before a start at the same moment: they did not overlap.
        moves += [(float(start), 1), (float(end), -1)]
    moves.sort(key=lambda move: (move[0], move[1]))
    peak, now, at = 0, 0, None
    for moment, change in moves:
        now += change
        if now > peak:
            peak, at = now, moment
    return peak, at


def running_at_least(run: MeasuredRun, limit: int) -> Verdict:
    peak, at = running_peak(run.tasks, run.elapsed)
    figure = f"peak {peak} running at once; needs at least {limit}"
    return Verdict(peak >= limit, peak, limit, figure, at)


def longest_hold(trace: list[dict[str, Any]]) -> tuple[float, float | None]:
    """The longest time one step or callback held the loop, in seconds, and when it began."""
    longest, at = 0.0, None
    for record in trace:
        if not isinstance(record, dict) or record.get("kind") not in ("step", "blocked"):
            continue
        start, end = record.get("start"), record.get("end")
        if not (isinstance(start, int | float) and isinstance(end, int | float)):
            continue
        if end - start > longest:
            longest, at = end - start, float(start)
    return longest, at


def loop_blocked_under(run: MeasuredRun, limit_ms: float) -> Verdict:
    if run.trace is None:
        return Verdict(False, None, limit_ms, "the event loop was not traced; nothing to measure")
    longest, at = longest_hold(run.trace)
    ms = round(longest * 1000, 1)
    passed = ms < limit_ms and run.complete
    figure = f"longest step {ms:g} ms; needs under {_number(limit_ms)} ms"
    if not run.complete:
        figure += f" ({_unended(run)})"
    return Verdict(passed, ms, limit_ms, figure, at)


def _weather(run: MeasuredRun) -> tuple[int, float | None, int] | None:
    if not isinstance(run.weather, dict):
        return None
    peak, at, requests = (run.weather.get(key) for key in ("peak", "peak_at", "requests"))
    if not isinstance(peak, int) or not isinstance(requests, int):
        return None
    return peak, (float(at) if isinstance(at, int | float) else None), requests


_NOT_COUNTED = "the weather requests were not counted on this server"


def in_flight_at_most(run: MeasuredRun, limit: int) -> Verdict:
    counted = _weather(run)
    if counted is None:
        return Verdict(False, None, limit, _NOT_COUNTED)
    peak, at, requests = counted
    passed = peak <= limit and run.complete
    figure = f"peak {peak} in flight of {requests} requests; needs at most {limit}"
    if not run.complete:
        figure += f" ({_unended(run)})"
    return Verdict(passed, peak, limit, figure, at)


def in_flight_at_least(run: MeasuredRun, limit: int) -> Verdict:
    counted = _weather(run)
    if counted is None:
        return Verdict(False, None, limit, _NOT_COUNTED)
    peak, at, requests = counted
    figure = f"peak {peak} in flight of {requests} requests; needs at least {limit}"
    return Verdict(peak >= limit, peak, limit, figure, at)


def main_ended(trace: list[dict[str, Any]] | None) -> float | None:
    """When the task running ``main`` (the trace's task 0) ended, or None if not recorded."""
    for record in trace or ():
        if (
            isinstance(record, dict)
            and record.get("kind") == "step"
            and record.get("task") == 0
            and record.get("state") in ("done", "failed", "cancelled")
            and isinstance(record.get("end"), int | float)
        ):
            return float(record["end"])
    return None


def unfinished_tasks(run: MeasuredRun) -> list[dict[str, Any]]:
    """Tasks left behind: never ended (pending at the end, or destroyed pending), or
    cancelled only after ``main`` returned, which is ``asyncio.run`` clearing up tasks
    nobody awaited. A task the program cancelled and awaited while ``main`` ran is
    finished. Without the moment ``main`` ended (no trace), only the first count."""
    ended = main_ended(run.trace)
    left = []
    for task in run.tasks:
        end = task.get("end")
        late = isinstance(end, int | float) and ended is not None and end > ended
        if end is None or (task.get("error") == "cancelled" and late):
            left.append(task)
    return left


def all_finished(run: MeasuredRun, _limit: bool) -> Verdict:
    left = unfinished_tasks(run)
    starts = [task["start"] for task in left if isinstance(task.get("start"), int | float)]
    passed = not left and run.complete
    if not run.complete:
        figure = f"{_unended(run)}; needs every task to finish"
    elif left:
        figure = f"{len(left)} task{'s' if len(left) != 1 else ''} unfinished; needs none"
    else:
        figure = f"all {len(run.tasks)} task{'s' if len(run.tasks) != 1 else ''} finished"
    return Verdict(passed, len(left), 0, figure, min(starts) if starts else None)


def output_has(run: MeasuredRun, lines: list[str]) -> Verdict:
    printed = {line.rstrip() for line in run.printed}
    missing = [line for line in lines if line not in printed]
    if missing:
        first = missing[0] if len(missing[0]) <= 60 else missing[0][:57] + "..."
        figure = f"{len(missing)} of {len(lines)} lines missing, such as “{first}”"
    else:
        figure = "the line was printed" if len(lines) == 1 else f"all {len(lines)} lines printed"
    return Verdict(not missing, len(lines) - len(missing), len(lines), figure)


def no_exception(run: MeasuredRun, _limit: bool) -> Verdict:
    error = run.error
    if error is None:
        passed = run.complete
        figure = "no exception" if passed else f"{_unended(run)}; needs to end without one"
        return Verdict(passed, None, None, figure, None if passed else run.elapsed)
    kind = str(error.get("type") or "an exception")[:60]
    line = error.get("line")
    where = f" at line {line}" if isinstance(line, int) else ""
    return Verdict(False, kind, None, f"{kind} escaped{where}; needs none", run.elapsed)


GRADERS: dict[str, Callable[[MeasuredRun, Any], Verdict]] = {
    "total_under": total_under,
    "running_at_least": running_at_least,
    "loop_blocked_under": loop_blocked_under,
    "in_flight_at_most": in_flight_at_most,
    "in_flight_at_least": in_flight_at_least,
    "all_finished": all_finished,
    "output_has": output_has,
    "no_exception": no_exception,
}


def sentence(goal: Goal) -> str:
    """What the goal asks, in a sentence the reader sees before the run."""
    limit = goal.limit
    match goal.kind:
        case "total_under":
            return f"The whole run takes under {_number(limit)} s."
        case "running_at_least":
            return f"At some moment, at least {limit} tasks are running at once."
        case "loop_blocked_under":
            return f"No single step holds the event loop for {_number(limit)} ms or more."
        case "in_flight_at_most":
            return f"Never more than {limit} weather requests are in flight at once."
        case "in_flight_at_least":
            return f"At some moment, at least {limit} weather requests are in flight at once."
        case "all_finished":
            return (
                "Every task the program starts finishes: none is left pending, "
                "cancelled without being awaited, or destroyed."
            )
        case "output_has":
            shown = ", ".join(f"“{line}”" for line in limit)
            lines = "this line" if len(limit) == 1 else "these lines"
            return f"The output has {lines}, in any order: {shown}."
        case "no_exception":
            return "No exception escapes the program."
    raise ValueError(f"unknown goal {goal.kind!r}")


def grade(goals: list[Goal], run: MeasuredRun) -> list[dict[str, Any]]:
    """Each goal's verdict, as the ``graded`` message carries it."""
    verdicts = []
    for goal in goals:
        verdict = GRADERS[goal.kind](run, goal.limit)
        verdicts.append(
            {"kind": goal.kind, "passed": verdict.passed, "measured": verdict.measured,
             "limit": list(verdict.limit) if isinstance(verdict.limit, tuple) else verdict.limit,
             "figure": verdict.figure, "sentence": sentence(goal),
             "at": None if verdict.at is None else round(verdict.at, 4)}
        )  # fmt: skip
    return verdicts
