"""Every exercise in the bundled lessons, run for real: its solution passes, its start does not.

The programs run in real bubblewrap sandboxes, as a reader's do, graded by
the server from the saved lesson.
"""

import pytest

from exercises.blocks import parse_exercise_block
from tests.exercise_runs import (
    exercise_fences,
    lesson_files_with_exercises,
    lesson_with,
    run_exercise,
)

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("fresh_runtime")]

FILES = lesson_files_with_exercises()


def test_the_bundled_lessons_hold_exercises():
    assert len(FILES) >= 2


@pytest.mark.usefixtures("sandbox_runner")
@pytest.mark.parametrize("path", FILES, ids=lambda path: path.stem)
async def test_each_solution_passes_every_goal_and_each_start_fails_one(path):
    lesson = await lesson_with(path.read_text(), slug=path.stem)
    assert lesson.exercises, "the lesson's exercises were stored with it"
    texts = [text for _line, text in exercise_fences(path.read_text())]
    assert len(texts) == len(lesson.exercises)
    for index, text in enumerate(texts):
        block = parse_exercise_block(text)
        solved = (await run_exercise(lesson.pk, index, block.solution))[-1]
        assert solved["type"] == "graded", solved
        failed = [goal for goal in solved["goals"] if not goal["passed"]]
        assert solved["passed"], f"{block.title}: the solution fails {failed}"
        started = (await run_exercise(lesson.pk, index, block.start))[-1]
        assert started["type"] == "graded", started
        assert not started["passed"], f"{block.title}: the starting program passes every goal"
