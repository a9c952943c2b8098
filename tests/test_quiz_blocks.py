"""Quiz blocks: parsed and checked on save, rendered so they read without JavaScript."""

import pytest
from django.urls import reverse

from lessons.models import Lesson
from lessons.quiz_blocks import (
    CHOICE,
    MAX_QUIZ_BLOCK_BYTES,
    MAX_QUIZZES,
    NUMBER,
    ORDER,
    QuizBlockError,
    parse_quiz_block,
)
from lessons.rendering import render_markdown
from tests.html_reader import parse_html

ONE_RIGHT = """\
question: What does `await asyncio.sleep(0)` do?
choices:
  - text: It gives the loop one turn to run other ready tasks.
    right: true
    why: The task is suspended until the next turn.
  - text: It blocks the thread for a moment.
    why: Nothing blocks; only the task is suspended.
why: A zero sleep is the cheapest way to yield.
"""

ORDERED = """\
question: In what order do the lines print?
order:
  - "main: start"
  - "worker: start"
  - "main: end"
why: The worker starts only when main awaits.
"""

NUMBERED = """\
question: How long does the program take?
answer: 2
tolerance: 0.2
unit: s
too_low: The sleeps overlap, but each still takes 2 s.
too_high: The three sleeps run at the same time.
"""


def quiz(text: str) -> str:
    return f"```quiz\n{text}```\n"


# ---------------------------------------------------------------------------
# Parsing


def test_a_block_with_choices_is_multiple_choice_with_one_right_answer():
    block = parse_quiz_block(ONE_RIGHT)

    assert block.kind == CHOICE
    assert block.question == "What does `await asyncio.sleep(0)` do?"
    assert [choice.right for choice in block.choices] == [True, False]
    assert block.choices[1].why == "Nothing blocks; only the task is suspended."
    assert not block.several_right


def test_several_choices_may_be_right():
    block = parse_quiz_block(ONE_RIGHT.replace("    why: Nothing", "    right: true\n    why: No"))
    assert block.several_right


def test_choices_may_be_plain_text():
    block = parse_quiz_block("question: Q?\nchoices:\n  - text: A\n    right: true\n  - B\n")
    assert [(choice.text, choice.right) for choice in block.choices] == [("A", True), ("B", False)]


def test_an_order_block_keeps_the_right_order_and_shows_a_fixed_shuffle():
    block = parse_quiz_block(ORDERED)

    assert block.kind == ORDER
    assert block.order == ("main: start", "worker: start", "main: end")
    assert sorted(block.shown) == [0, 1, 2]
    assert list(block.shown) != [0, 1, 2]
    assert parse_quiz_block(ORDERED).shown == block.shown


def test_a_number_block_has_an_answer_a_tolerance_and_a_unit():
    block = parse_quiz_block(NUMBERED)

    assert block.kind == NUMBER
    assert (block.answer, block.tolerance, block.unit) == (2.0, 0.2, "s")
    assert block.too_low.startswith("The sleeps overlap")


BAD = [
    ("question: Q?\n", 'one of "choices:", "order:" or "answer:"'),
    ("question: Q?\nanswer: 1\norder: [a, b]\n", "not several of them"),
    ("choices:\n  - text: A\n    right: true\n  - B\n", 'quiz block needs "question:"'),
    ("question: Q?\nchoices:\n  - A\n  - B\n", 'no choice is marked "right: true"'),
    ("question: Q?\nchoices:\n  - text: A\n    right: true\n", "a list of 2 to 8 choices"),
    ("question: Q?\nchoices:\n  - text: A\n    right: yes please\n  - B\n",
     "right of choice 1 must be true or false"),
    ("question: Q?\nchoices:\n  - text: A\n    right: true\n  - A\n", "same text"),
    ("question: Q?\nchoices:\n  - text: A\n    right: true\n    score: 3\n  - B\n",
     "unknown key 'score' in choice 1"),
    ("question: Q?\norder: [a]\n", "order must be a list of 2 to 10 lines"),
    ("question: Q?\norder: [a, a]\n", "two lines of the order are the same"),
    ("question: Q?\nanswer: fast\n", "answer must be a number"),
    ("question: Q?\nanswer: .nan\n", "answer must be a number"),
    ("question: Q?\nanswer: 1\ntolerance: -1\n", "tolerance must not be negative"),
    ("question: Q?\nanswer: 1\ncolour: red\n", "unknown key 'colour'"),
    ("question: [Q\nanswer: 1\n", "quiz block is not valid YAML"),
    ("question: &q Q?\nanswer: 1\n", "anchors and aliases"),
    ("- question\n", "as lines of"),
    ("question: " + "x" * 601 + "\nanswer: 1\n", "question holds 601 characters"),
]  # fmt: skip


@pytest.mark.parametrize(("text", "message"), BAD)
def test_a_malformed_block_is_refused_with_what_is_wrong(text, message):
    with pytest.raises(QuizBlockError) as caught:
        parse_quiz_block(text)
    assert message in str(caught.value)


def test_a_block_too_large_is_refused_before_it_is_read():
    text = "question: Q?\nanswer: 1\nwhy: " + "y" * MAX_QUIZ_BLOCK_BYTES + "\n"
    with pytest.raises(QuizBlockError, match="at most 6,000 are allowed"):
        parse_quiz_block(text)


def test_a_lesson_may_hold_a_bounded_number_of_quizzes():
    block = quiz("question: Q?\norder: [a, b, c, d, e, f, g, h, i, j]\n") + "\n"
    render_markdown(block * MAX_QUIZZES)
    with pytest.raises(QuizBlockError, match=f"at most {MAX_QUIZZES} quiz blocks"):
        render_markdown(block * (MAX_QUIZZES + 1))


def test_the_error_names_the_line_of_the_lesson_where_the_block_starts():
    body = "# Title\n\nSome text.\n\n" + quiz("question: Q?\nanswer: many\n")
    with pytest.raises(QuizBlockError, match=r"^Line 5: answer must be a number"):
        render_markdown(body)


def test_a_yaml_error_names_the_line_inside_the_block_too():
    body = "Text.\n\n" + quiz("question: Q?\nanswer: [1\n")
    with pytest.raises(QuizBlockError, match=r"^Line 3: quiz block is not valid YAML .*line \d of"):
        render_markdown(body)


def test_a_bad_demo_block_names_its_line_as_well():
    with pytest.raises(Exception, match=r"^Line 3: unknown demo"):
        render_markdown("Text.\n\n```demo\nname: teleport\n```\n")


# ---------------------------------------------------------------------------
# Rendering: readable without JavaScript, and no way around the sanitizer


def first(element, tag: str, css_class: str):
    found = element.find(tag, class_=css_class)
    assert found is not None, f"no {tag}.{css_class}"
    return found


def items(element, tag: str, css_class: str) -> list:
    return first(element, tag, css_class).find_all("li")


def test_a_choice_quiz_renders_its_question_choices_and_folded_answer():
    rendered = render_markdown(quiz(ONE_RIGHT))
    (section,) = parse_html(rendered.html).find_all("section", class_="quiz")

    assert section.attrs["data-quiz"] == "choice"
    question = first(section, "p", "quiz-question")
    assert question.text == "What does await asyncio.sleep(0) do?"
    assert question.find("code").text == "await asyncio.sleep(0)"
    assert [li.text for li in items(section, "ol", "quiz-choices")] == [
        "It gives the loop one turn to run other ready tasks.",
        "It blocks the thread for a moment.",
    ]
    answer = first(section, "details", "quiz-answer")
    assert answer.find("summary").text == "Show the answer"
    verdicts = items(answer, "ul", "quiz-verdicts")
    assert [li.attrs["data-right"] for li in verdicts] == ["true", "false"]
    assert verdicts[1].text.startswith("Not right: It blocks the thread")
    assert "Nothing blocks" in verdicts[1].text
    assert first(answer, "p", "quiz-why").text == "A zero sleep is the cheapest way to yield."
    assert rendered.quizzes == 1


def test_an_order_quiz_shows_the_lines_shuffled_and_the_right_order_in_the_answer():
    page = parse_html(render_markdown(quiz(ORDERED)).html)

    shown = [first(li, "span", "quiz-line-text").text for li in items(page, "ol", "quiz-lines")]
    assert sorted(shown) == sorted(["main: start", "worker: start", "main: end"])
    assert shown != ["main: start", "worker: start", "main: end"]
    right = [li.text for li in items(page, "ol", "quiz-right-order")]
    assert right == ["main: start", "worker: start", "main: end"]


def test_every_control_is_in_the_markup_from_the_start_marked_for_scripts_only():
    page = parse_html(render_markdown(quiz(ONE_RIGHT) + "\n" + quiz(ORDERED)).html)
    choice, order = page.find_all("section", class_="quiz")

    radios = choice.find_all("input")
    assert [(r.attrs["type"], r.attrs["name"], r.attrs["value"]) for r in radios] == [
        ("radio", "quiz-1", "0"),
        ("radio", "quiz-1", "1"),
    ]
    assert all("quiz-control" in r.attrs["class"] for r in radios)
    check = first(choice, "div", "quiz-actions")
    assert "quiz-control" in check.attrs["class"]
    assert check.find("button").text == "Check"
    # Lines to order: a pair of buttons each, the ends disabled where they cannot move.
    lines = items(order, "ol", "quiz-lines")
    buttons = [b for li in lines for b in li.find_all("button")]
    top = first(lines[0], "span", "quiz-line-text").text
    assert buttons[0].attrs["aria-label"] == f"Move “{top}” up"
    assert "disabled" in buttons[0].attrs
    assert "disabled" in buttons[-1].attrs
    assert sum("disabled" in b.attrs for b in buttons) == 2


def test_several_right_choices_are_checkboxes_with_a_hint():
    block = ONE_RIGHT.replace("    why: Nothing", "    right: true\n    why: No")
    page = parse_html(render_markdown(quiz(block)).html)
    assert {i.attrs["type"] for i in page.find_all("input")} == {"checkbox"}
    assert first(page, "p", "quiz-hint").text == "More than one choice is right: choose them all."


def test_a_number_quiz_states_the_answer_and_the_span_that_counts():
    page = parse_html(render_markdown(quiz(NUMBERED)).html)

    holder = first(page, "p", "quiz-number")
    assert (holder.attrs["data-answer"], holder.attrs["data-tolerance"]) == ("2", "0.2")
    assert first(page, "p", "quiz-right-number").text == (
        "The answer: 2 s (anything from 1.8 to 2.2 counts)."
    )
    assert [p.attrs["data-miss"] for p in page.find_all("p", class_="quiz-miss")] == [
        "low",
        "high",
    ]


def test_quiz_text_cannot_carry_html_or_scripts():
    hostile = (
        'question: "<img src=x onerror=alert(1)> [link](javascript:alert(1))"\n'
        "choices:\n"
        '  - text: "<script>alert(1)</script>"\n'
        "    right: true\n"
        '  - "<b onclick=x>B</b>"\n'
    )
    html = render_markdown(quiz(hostile)).html

    # Shown as the text that was typed, never as markup or a link.
    assert "<script" not in html
    assert "<img" not in html
    assert "<b onclick" not in html
    assert 'href="javascript:' not in html
    assert "&lt;script&gt;" in html
    assert "&lt;b onclick=x&gt;" in html


def test_numbering_follows_the_quizzes_of_the_lesson():
    page = parse_html(render_markdown(quiz(ONE_RIGHT) + "\nText.\n\n" + quiz(NUMBERED)).html)
    assert [s.attrs["aria-label"] for s in page.find_all("section", class_="quiz")] == [
        "Question 1",
        "Question 2",
    ]


# ---------------------------------------------------------------------------
# The admin


@pytest.mark.django_db
def test_admin_refuses_a_lesson_with_a_bad_quiz_block_and_names_the_line(editor_client, course):
    response = editor_client.post(
        reverse("admin:lessons_lesson_add"),
        {
            "course": course.pk,
            "title": "Quizzed",
            "slug": "quizzed",
            "summary": "",
            "body": "Intro.\n\n" + quiz("question: Q?\nchoices:\n  - A\n  - B\n"),
            "position": 1,
            "status": "published",
            "opened_version": "",
        },
    )

    assert response.status_code == 200
    errors = " ".join(response.context["adminform"].form.errors.get("body", []))
    assert "Line 3: no choice is marked" in errors
    assert not Lesson.objects.filter(slug="quizzed").exists()
