"""Exercise blocks in lesson Markdown: what a lesson may hold, and what it is refused with."""

import pytest

from exercises.blocks import MAX_EXERCISES, ExerciseBlockError, Goal, parse_exercise_block
from lessons.rendering import render_markdown

START = "import asyncio\n\nasyncio.run(asyncio.sleep(0.1))\n"
SOLUTION = "import asyncio\n\nasyncio.run(asyncio.sleep(0))\n"


def block(goals: str = "  - total_under: 1.5\n", **extra: str) -> str:
    fields = {
        "title": "Be quick",
        "task": "Make it *fast*.",
        "start": "|\n" + "".join(f"  {line}\n" for line in START.splitlines()),
        "solution": "|\n" + "".join(f"  {line}\n" for line in SOLUTION.splitlines()),
        "goals": "\n" + goals,
        **extra,
    }
    return "".join(f"{key}: {value}" if value.startswith(("|", "\n")) else f"{key}: {value}\n"
                   for key, value in fields.items())  # fmt: skip


def fenced(text: str) -> str:
    return f"Intro.\n\n```exercise\n{text}```\n"


def test_a_full_block_is_read_with_its_programs_goals_and_hints():
    parsed = parse_exercise_block(
        block(
            "  - total_under: 1.5\n  - running_at_least: 3\n  - loop_blocked_under: 50\n"
            "  - in_flight_at_most: 3\n  - in_flight_at_least: 2\n  - all_finished: true\n"
            '  - output_has:\n      - "Paris: 21 C"\n  - no_exception: true\n',
            hints="\n  - first\n  - second\n",
        )
    )
    assert parsed.title == "Be quick"
    assert parsed.start == START
    assert parsed.solution == SOLUTION
    assert parsed.goals[0] == Goal("total_under", 1.5)
    assert parsed.goals[6] == Goal("output_has", ("Paris: 21 C",))
    assert [goal.kind for goal in parsed.goals][-1] == "no_exception"
    assert parsed.hints == ("first", "second")


def test_hints_are_optional():
    assert parse_exercise_block(block()).hints == ()


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (block(colour="red"), "unknown key 'colour'"),
        (block().replace("title: Be quick\n", ""), 'needs "title:"'),
        (block(goals="  - faster: true\n"), "unknown goal 'faster'"),
        (block(goals="  - total_under: 0\n"), "total_under takes seconds"),
        (block(goals="  - total_under: true\n"), "total_under takes seconds"),
        (block(goals="  - running_at_least: 2.5\n"), "running_at_least takes a whole number"),
        (block(goals="  - all_finished: false\n"), "all_finished takes true"),
        (block(goals="  - in_flight_at_least: 65\n"), "from 1 to 64, not 65"),
        (block(goals="  - output_has: []\n"), "output_has takes a list"),
        (block(goals="  - total_under: 1\n  - total_under: 2\n"), "given twice"),
        (block(goals="  - total_under: 1\n    no_exception: true\n"), 'goal 1 must be one "kind'),
        (block(goals="  []\n"), "goals must be a list of 1 to"),
        (block(hints="\n  - ''\n"), "hint 1 is empty"),
        (block(start="|\n  def broken(:\n"), "start does not compile at line 1 of the program"),
        (
            block(solution="|\n" + "".join(f"  {line}\n" for line in START.splitlines())),
            "start and solution are the same program",
        ),
        ("- just a list\n", "lines of"),
        ("title: [unclosed\n", "not valid YAML"),
    ],
)
def test_a_bad_block_is_refused_with_what_is_wrong(text, message):
    with pytest.raises(ExerciseBlockError, match=message.replace("(", r"\(").replace("*", r"\*")):
        parse_exercise_block(text)


def test_programs_are_compiled_and_never_run(tmp_path):
    marker = tmp_path / "ran"
    start = f"open({str(marker)!r}, 'w').write('x')\n"
    parse_exercise_block(block(start="|\n  " + start))
    assert not marker.exists()


def test_a_lesson_names_the_line_of_a_bad_block():
    with pytest.raises(ExerciseBlockError, match=r"^Line 3: unknown key 'colour'"):
        render_markdown(fenced(block(colour="red")))


def test_a_lesson_holds_a_bounded_number_of_exercises():
    body = "".join(fenced(block()) for _ in range(MAX_EXERCISES + 1))
    with pytest.raises(ExerciseBlockError, match=f"at most {MAX_EXERCISES} exercise blocks"):
        render_markdown(body)


def test_a_rendered_exercise_stores_its_goals_and_shows_their_sentences(html):
    rendered = render_markdown(fenced(block("  - total_under: 1.5\n  - no_exception: true\n")))
    assert rendered.exercises == [
        {"title": "Be quick", "goals": [{"kind": "total_under", "limit": 1.5},
                                         {"kind": "no_exception", "limit": True}]}
    ]  # fmt: skip
    page = html(rendered.html)
    section = page.find(class_="exercise")
    assert section.attrs["data-exercise"] == "0"
    goals = [item.text for item in page.find_all(class_="exercise-goal-text")]
    assert goals == ["The whole run takes under 1.5 s.", "No exception escapes the program."]
    assert "<em>fast</em>" in rendered.html
    assert "asyncio.sleep(0.1)" in page.find(class_="exercise-start").text


def test_markup_in_a_task_cannot_reach_the_page():
    rendered = render_markdown(fenced(block(task="'<script>alert(1)</script> [x](javascript:go)'")))
    assert "<script" not in rendered.html
    assert 'href="javascript' not in rendered.html


def test_the_admin_refuses_a_lesson_with_a_bad_exercise_and_keeps_the_body(lessons):
    from django.core.exceptions import ValidationError

    lesson = lessons.intro
    lesson.body = fenced(block(goals="  - faster: true\n"))
    with pytest.raises(ValidationError, match="unknown goal"):
        lesson.clean()
    assert "faster" in lesson.body


def test_an_exercise_is_searchable_by_its_words_but_not_its_buttons():
    from search.indexing import sections_of

    rendered = render_markdown("## Practice\n\n" + fenced(block(task="Make the zanzibar *fast*.")))
    text = " ".join(section.text for section in sections_of(rendered.html))
    assert "zanzibar" in text
    assert "Run my version" not in text
    assert "Exercise 1" not in text
