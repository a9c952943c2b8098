"""A finished sandboxed run, graded: the ``graded`` message the page is sent."""

from typing import Any

from demos.runner import RunResult
from exercises.blocks import Goal
from exercises.goals import MeasuredRun, grade


def measured_run(
    result: RunResult, *, printed: list[str], weather: dict[str, Any] | None, stopped: str | None
) -> MeasuredRun:
    """What the goals read, from the runner's outcome and the events relayed on the way."""
    return MeasuredRun(
        status=result.status,
        elapsed=float(result.elapsed),
        complete=result.status != "cancelled" and stopped is None,
        tasks=[task for task in result.tasks if isinstance(task, dict)],
        trace=result.trace if isinstance(result.trace, list) else None,
        printed=printed,
        error=result.error if isinstance(result.error, dict) else None,
        weather=weather,
    )


def graded_message(run_id: str, goals: list[Goal], run: MeasuredRun) -> dict[str, Any]:
    verdicts = grade(goals, run)
    return {
        "type": "graded",
        "id": run_id,
        "passed": all(verdict["passed"] for verdict in verdicts),
        "goals": verdicts,
    }
