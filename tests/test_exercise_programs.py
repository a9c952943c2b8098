"""Every exercise's programs run as they are shown, with a plain ``python``.

Each fenced ``exercise`` block in lessons/content/**.md holds a starting program
and a solution. Here both are written to a file and run by this Python in a
process of their own, outside the sandbox, against a weather simulator at test
speed that counts the weather requests in flight. The solution must then meet
every goal that can be checked from outside the program: the lines of
``output_has``, ``no_exception``, and the ``in_flight_*`` counts. The start must
run to its end, as a reader's first click does.

This is not the grading test: goals measured inside the program (``total_under``
at the site's speed, ``running_at_least``, ``loop_blocked_under``,
``all_finished``), and whether the start fails one of them, are checked with the
exercise engine, in the sandbox, by the test that comes with it.
"""

from dataclasses import dataclass
from pathlib import Path

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from lessons import plain_yaml
from lessons.content_loader import CONTENT_DIR
from tests.exercise_runs import exercise_fences
from tests.scripts import run_script
from weathersim.app import make_app

KEYS = {"title", "task", "start", "solution", "goals", "hints"}
GOALS = {
    "total_under", "running_at_least", "loop_blocked_under", "in_flight_at_most",
    "in_flight_at_least", "all_finished", "output_has", "no_exception",
}  # fmt: skip
MAX_BLOCK_BYTES = 6_000
MAX_PROGRAM_LINES = 60
# A run that takes longer than this hangs: the slowest start waits 4 s on purpose.
RUN_SECONDS = 30


class ExerciseBlockError(ValueError):
    pass


@dataclass(frozen=True)
class Exercise:
    where: str  # lesson file and line, for the test's id and messages
    data: dict


def exercises() -> list[Exercise]:
    """The exercise blocks of every lesson, in file order."""
    found = []
    for path in sorted(Path(CONTENT_DIR).rglob("*.md")):
        for line, text in exercise_fences(path.read_text(encoding="utf-8")):
            data = plain_yaml.load_block(
                text, kind="exercise", max_bytes=MAX_BLOCK_BYTES, error=ExerciseBlockError
            )
            found.append(Exercise(f"{path.relative_to(CONTENT_DIR)}:{line}", data))
    return found


EXERCISES = exercises()


def goals_of(exercise: Exercise) -> dict:
    return {key: value for goal in exercise.data["goals"] for key, value in goal.items()}


class InFlight:
    """Counts the weather requests the simulator is serving at once."""

    def __init__(self) -> None:
        self.now = self.most = 0

    @web.middleware
    async def middleware(self, request: web.Request, handler):
        if not request.path.startswith("/services/json/"):
            return await handler(request)
        self.now += 1
        self.most = max(self.most, self.now)
        try:
            return await handler(request)
        finally:
            self.now -= 1


@pytest.fixture
async def counted_simulator():
    counter = InFlight()
    app = make_app(latency_scale=0.05)
    app.middlewares.append(counter.middleware)
    server = TestServer(app)
    await server.start_server()
    yield str(server.make_url("/services/json/")), counter
    await server.close()


@dataclass
class Run:
    returncode: int
    lines: list[str]
    errors: str
    most_in_flight: int


async def run_as_script(source: str, folder: Path, simulator) -> Run:
    weather_url, counter = simulator
    counter.most = counter.now
    script = folder / "exercise.py"
    returncode, out, err = await run_script(source, script, weather_url, RUN_SECONDS)
    return Run(returncode, out.splitlines(), err, counter.most)


def unmet_goals(goals: dict, run: Run) -> list[str]:
    """The goals that a run checked from outside the program does not meet."""
    unmet = []
    if goals.get("no_exception") and (run.returncode or "Traceback" in run.errors):
        unmet.append(f"no_exception: exit status {run.returncode}\n{run.errors}")
    missing = [line for line in goals.get("output_has", ()) if line not in run.lines]
    if missing:
        unmet.append(f"output_has: {missing} not among {run.lines}")
    if "in_flight_at_most" in goals and run.most_in_flight > goals["in_flight_at_most"]:
        unmet.append(f"in_flight_at_most: {run.most_in_flight} requests at once")
    if "in_flight_at_least" in goals and run.most_in_flight < goals["in_flight_at_least"]:
        unmet.append(f"in_flight_at_least: only {run.most_in_flight} requests at once")
    return unmet


def test_the_lessons_hold_exercises():
    assert len(EXERCISES) >= 5


@pytest.mark.parametrize("exercise", EXERCISES, ids=[e.where for e in EXERCISES])
def test_each_block_has_the_fixed_keys_known_goals_and_a_few_hints(exercise):
    data = exercise.data
    assert set(data) == KEYS
    assert all(isinstance(data[key], str) and data[key].strip() for key in ("title", "task"))
    for program in (data["start"], data["solution"]):
        assert len(program.splitlines()) <= MAX_PROGRAM_LINES
    assert data["start"] != data["solution"]
    assert all(isinstance(goal, dict) and len(goal) == 1 for goal in data["goals"])
    assert set(goals_of(exercise)) <= GOALS
    assert 2 <= len(data["hints"]) <= 4
    assert all(isinstance(hint, str) for hint in data["hints"])


@pytest.mark.parametrize("exercise", EXERCISES, ids=[e.where for e in EXERCISES])
async def test_the_solution_meets_every_goal_seen_from_outside(
    exercise, counted_simulator, tmp_path
):
    run = await run_as_script(exercise.data["solution"], tmp_path, counted_simulator)

    assert run.lines, "the solution printed something"
    assert unmet_goals(goals_of(exercise), run) == []


@pytest.mark.parametrize("exercise", EXERCISES, ids=[e.where for e in EXERCISES])
async def test_the_start_runs_to_its_end(exercise, counted_simulator, tmp_path):
    run = await run_as_script(exercise.data["start"], tmp_path, counted_simulator)

    assert run.lines, "the start printed something"
    assert "SyntaxError" not in run.errors


def test_unmet_goals_names_each_goal_a_run_misses():
    goals = {"no_exception": True, "output_has": ["a", "b"], "in_flight_at_most": 3}
    failed = Run(1, ["a"], "Traceback (most recent call last):\n", 20)
    unmet = unmet_goals(goals | {"in_flight_at_least": 21}, failed)

    assert [line.split(":")[0] for line in unmet] == [
        "no_exception", "output_has", "in_flight_at_most", "in_flight_at_least",
    ]  # fmt: skip
    assert unmet_goals(goals, Run(0, ["b", "a"], "", 3)) == []
