"""A quiz block as HTML: readable without JavaScript, answerable with it.

Everything a reader will press is in the markup from the start (inputs,
Move up and Move down buttons, Check), marked ``quiz-control`` so that CSS
hides it where scripts do not run; static/js/quiz.js only wires it. Nothing
is added to the page when the script starts, so nothing on it moves. The
answer, with its explanations, is folded in a <details> for every reader.

Quiz text is inline Markdown without raw HTML, cleaned by nh3 on its own:
the HTML here is put into the page after the body's own cleaning, like a
demo placeholder, so it holds only what this module writes.
"""

import html
import re

import nh3
from markdown_it import MarkdownIt

from lessons.quiz_blocks import NUMBER, ORDER, QuizBlock

_INLINE = MarkdownIt("commonmark", {"html": False})
_INLINE_TAGS = {"a", "b", "br", "code", "del", "em", "i", "kbd", "s", "strong", "sub", "sup"}
_TAG = re.compile(r"<[^>]*>")


def inline_markdown(text: str) -> str:
    """Inline Markdown (code, emphasis, links) as HTML cleaned on its own by nh3."""
    return nh3.clean(
        _INLINE.renderInline(text),
        tags=_INLINE_TAGS,
        attributes={"a": {"href", "title"}},
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer",
    )


def _plain(inline_html: str) -> str:
    """Inline HTML as attribute text: its tags dropped, its escaping kept."""
    return _TAG.sub("", inline_html).replace('"', "&quot;")


def _number(value: float) -> str:
    return f"{value:g}"


def quiz_html(block: QuizBlock, number: int) -> str:
    name = f"quiz-{number}"
    parts = [
        f'<section class="quiz" data-quiz="{block.kind}" aria-label="Question {number}">',
        f'<p class="quiz-kicker">Question {number}</p>',
        f'<p class="quiz-question">{inline_markdown(block.question)}</p>',
    ]
    if block.kind == ORDER:
        parts += _order(block)
    elif block.kind == NUMBER:
        parts += _number_field(block)
    else:
        parts += _choices(block, name)
    parts.append(
        '<div class="quiz-actions quiz-control">'
        '<button type="button" class="button button-primary quiz-check">Check</button>'
        '<div class="quiz-feedback" role="status"></div></div>'
    )
    parts.append('<details class="quiz-answer"><summary>Show the answer</summary>')
    parts += _answer(block)
    parts.append("</details></section>")
    return "".join(parts)


def _choices(block: QuizBlock, name: str) -> list[str]:
    several = block.several_right
    kind = "checkbox" if several else "radio"
    parts = []
    if several:
        parts.append(
            '<p class="quiz-hint meta">More than one choice is right: choose them all.</p>'
        )
    parts.append(f'<ol class="quiz-choices" data-several="{str(several).lower()}">')
    for index, choice in enumerate(block.choices):
        parts.append(
            f'<li data-choice="{index}"><label class="quiz-option">'
            f'<input class="quiz-control" type="{kind}" name="{name}" value="{index}">'
            f"<span>{inline_markdown(choice.text)}</span></label></li>"
        )
    parts.append("</ol>")
    return parts


def _order(block: QuizBlock) -> list[str]:
    parts = ['<ol class="quiz-lines">']
    last = len(block.shown) - 1
    for place, index in enumerate(block.shown):
        text = inline_markdown(block.order[index])
        label = _plain(text)
        up = " disabled" if place == 0 else ""
        down = " disabled" if place == last else ""
        parts.append(
            f'<li data-line="{index}"><span class="quiz-line-text">{text}</span>'
            '<span class="quiz-moves quiz-control">'
            f'<button type="button" class="quiz-move quiz-up" aria-label="Move “{label}” up"{up}>'
            "↑</button>"
            f'<button type="button" class="quiz-move quiz-down" '
            f'aria-label="Move “{label}” down"{down}>↓</button></span></li>'
        )
    parts.append("</ol>")
    # Where a keyboard user hears where a moved line went.
    parts.append('<p class="visually-hidden quiz-moved quiz-control" aria-live="polite"></p>')
    return parts


def _number_field(block: QuizBlock) -> list[str]:
    unit = html.escape(block.unit)
    parts = [
        f'<p class="quiz-number" data-answer="{_number(block.answer)}" '
        f'data-tolerance="{_number(block.tolerance)}" data-unit="{unit}">'
        '<label class="quiz-control">Your answer '
        '<input class="quiz-input" type="text" inputmode="decimal" autocomplete="off" size="8">'
        + (f'<span class="quiz-unit"> {unit}</span>' if unit else "")
        + "</label></p>"
    ]
    for side, text in (("low", block.too_low), ("high", block.too_high)):
        if text:
            parts.append(
                f'<p class="quiz-miss" data-miss="{side}" hidden>{inline_markdown(text)}</p>'
            )
    return parts


def _answer(block: QuizBlock) -> list[str]:
    answer = []
    if block.kind == ORDER:
        answer.append('<p>The right order:</p><ol class="quiz-right-order">')
        answer += [f"<li>{inline_markdown(line)}</li>" for line in block.order]
        answer.append("</ol>")
    elif block.kind == NUMBER:
        shown = f"{_number(block.answer)} {html.escape(block.unit)}".rstrip()
        span = (
            f" (anything from {_number(block.answer - block.tolerance)} to "
            f"{_number(block.answer + block.tolerance)} counts)"
            if block.tolerance
            else ""
        )
        answer.append(f'<p class="quiz-right-number">The answer: {shown}{span}.</p>')
    else:
        answer.append('<ul class="quiz-verdicts">')
        for index, choice in enumerate(block.choices):
            verdict = "Right" if choice.right else "Not right"
            why = f" {inline_markdown(choice.why)}" if choice.why else ""
            answer.append(
                f'<li data-choice="{index}" data-right="{str(choice.right).lower()}">'
                f"<strong>{verdict}:</strong> {inline_markdown(choice.text)}"
                f'<span class="quiz-choice-why">{why}</span></li>'
            )
        answer.append("</ul>")
    if block.why:
        answer.append(f'<p class="quiz-why">{inline_markdown(block.why)}</p>')
    return answer
