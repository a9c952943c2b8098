"""An exercise block as HTML: readable without JavaScript, runnable with it.

Without scripts the reader sees the task, the goals, the starting program,
the hints and the solution (folded). static/js/exercise.js puts an editor
in place of the starting program and wires the controls that are in the
markup from the start (marked ``exercise-control``, hidden by CSS where
scripts do not run), so nothing on the page moves when it starts.

Text is inline Markdown cleaned by nh3 (lessons.quiz_html); programs are
escaped. The HTML goes into the page after the body's own cleaning, like a
quiz, so it holds only what this module writes.
"""

import html

from exercises.blocks import ExerciseBlock
from exercises.goals import sentence
from lessons.quiz_html import inline_markdown


def exercise_html(block: ExerciseBlock, index: int) -> str:
    number = index + 1
    title_id = f"exercise-{number}-title"
    hints = len(block.hints)
    parts = [
        f'<section class="exercise" data-exercise="{index}" aria-labelledby="{title_id}">',
        f'<p class="exercise-kicker">Exercise {number}</p>',
        f'<h3 class="exercise-title" id="{title_id}">{inline_markdown(block.title)}</h3>',
        f'<p class="exercise-task">{inline_markdown(block.task)}</p>',
        '<p class="exercise-goals-title">Goals, graded on what your program does when it runs:</p>',
        '<ul class="exercise-goals">',
    ]
    for number_of_goal, goal in enumerate(block.goals):
        parts.append(
            f'<li class="exercise-goal" data-goal="{number_of_goal}" data-kind="{goal.kind}">'
            f'<span class="exercise-goal-mark" aria-hidden="true"></span>'
            f'<span class="exercise-goal-text">{html.escape(sentence(goal))}</span>'
            '<span class="exercise-goal-figure"></span>'
            '<button type="button" class="demo-button button-quiet exercise-goal-at '
            'exercise-control" hidden>Show the moment</button></li>'
        )
    parts.append("</ul>")
    parts.append(
        '<p class="exercise-program-title">The starting program:</p>'
        f'<pre class="highlight exercise-start"><code class="language-python">'
        f"{html.escape(block.start)}</code></pre>"
    )
    parts.append(
        '<div class="exercise-editor-slot exercise-control"></div>'
        '<div class="exercise-actions exercise-control">'
        '<button type="button" class="demo-button button-run is-async" data-action="run">'
        "Run my version</button>"
        '<button type="button" class="demo-button" data-action="cancel" disabled>Cancel</button>'
        '<button type="button" class="demo-button button-quiet" data-action="reset">'
        "Reset to the starting code</button></div>"
        '<p class="exercise-status exercise-control" role="status" aria-live="polite"></p>'
        '<div class="exercise-run exercise-control" hidden>'
        '<pre class="exercise-output" tabindex="0" aria-label="What the program printed"></pre>'
        '<div class="exercise-timeline"></div></div>'
    )
    if hints:
        parts.append(f'<div class="exercise-hints" data-hints="{hints}">')
        parts.append('<ol class="exercise-hint-list">')
        parts += [f'<li class="exercise-hint" data-hint="{i}">{inline_markdown(hint)}</li>'
                  for i, hint in enumerate(block.hints)]  # fmt: skip
        parts.append(
            "</ol>"
            '<p class="exercise-control exercise-hint-bar">'
            '<button type="button" class="demo-button button-quiet" data-action="hint">'
            "Show a hint</button> "
            '<span class="exercise-hint-count" aria-live="polite"></span></p></div>'
        )
    parts.append(
        '<details class="exercise-solution"><summary>Show the solution</summary>'
        '<pre class="highlight exercise-solution-code"><code class="language-python">'
        f"{html.escape(block.solution)}</code></pre>"
        '<p class="exercise-control"><button type="button" class="demo-button button-quiet" '
        'data-action="use-solution">Put the solution in my editor</button></p>'
        '<div class="exercise-compare exercise-control"></div></details>'
    )
    parts.append("</section>")
    return "".join(parts)
