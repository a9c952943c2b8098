"""A shared run as its page shows it: what to read without JavaScript, and
what the page's script replays.

The replay is made of the messages the page received while the run went on
(docs/protocol.md), rebuilt from the stored run: each task's start, output and
end at the server times they happened, then ``finished``. The page feeds them
to the same code that drew the live run (static/js/replay.js).
"""

import json
from dataclasses import dataclass, replace
from typing import Any
from urllib.parse import urlencode

from django.utils.safestring import SafeString, mark_safe
from pygments import highlight
from pygments.formatters import HtmlFormatter
from pygments.lexers import PythonLexer

from demos.registry import get_demo
from demos.runner import summary_for
from demos.source import highlighted_source_of, source_of
from lessons.models import Lesson
from live.models import DemoRun

RSQUO = "\u2019"  # the typographic apostrophe the pages use
# What the page lists for reading without JavaScript is bounded: a reader's
# program may start tens of thousands of tasks or print some 65,000 lines, and
# listing every one took seconds to render. The replay's data keeps them all.
MAX_LISTED_TASKS = 500
MAX_LISTED_LINES = 1_000


@dataclass(frozen=True)
class TaskLine:
    index: int
    start: float | None
    end: float | None
    ok: bool | None
    error: str
    output: list[tuple[float, str]]
    unlisted_lines: int = 0  # printed, but past what the page lists (MAX_LISTED_LINES)


@dataclass(frozen=True)
class Replay:
    title: str
    description: str
    demo_title: str
    mode: str
    is_reader_code: bool
    params_text: str
    status: str
    status_text: str
    elapsed: float
    code: str
    task_count: int
    tasks: list[TaskLine]  # the first MAX_LISTED_TASKS, with their first lines
    loose_output: list[tuple[float, str, str]]
    unlisted_text: str  # what the lists leave out, or ""
    again_url: str | None
    again_text: str
    data: dict[str, Any]

    @property
    def data_json(self) -> SafeString:
        """``data`` for a <script type="application/json"> element, as json_script writes it.

        Django's json_script escapes with ``str.translate``, which takes a slow
        path once a replacement is longer than one character: some 0.2 s for a
        full trace. ``str.replace`` does the same job in a few milliseconds.
        """
        text = json.dumps(self.data, separators=(",", ":"))  # ASCII: ensure_ascii
        for char, escaped in (("&", "\\u0026"), ("<", "\\u003C"), (">", "\\u003E")):
            text = text.replace(char, escaped)
        return mark_safe(text)  # JSON, with every <, > and & escaped


def replay_of(run: DemoRun, *, lesson: Lesson | None) -> Replay:
    """What the page of ``run`` shows; ``lesson``: where it can be run again, if anywhere."""
    demo = get_demo(run.demo)
    demo_title = demo.title if demo is not None else run.demo
    is_reader_code = bool(run.code)
    if is_reader_code:
        code = run.code
        code_html = highlight(code, PythonLexer(), HtmlFormatter(nowrap=True))
    elif demo is not None:
        program = demo.variant(run.mode).program
        code, code_html = source_of(program), highlighted_source_of(program)
    else:  # a demo since removed from the site: nothing to show but its run
        code, code_html = "", ""
    status_text = _status_text(run)
    whose = f"A reader{RSQUO}s version of " if is_reader_code else ""
    title = f"{whose}{demo_title}, {run.mode}: {status_text}"
    params_text = ", ".join(f"{name}={_value_text(value)}" for name, value in run.params.items())
    all_tasks = [_task_line(record) for record in run.timeline if isinstance(record, dict)]
    own = f"a reader{RSQUO}s own version of " if is_reader_code else ""
    description = (
        f"A recorded run of {own}the "
        f"{run.mode} version of “{demo_title}”"
        f"{f' ({params_text})' if params_text else ''}: {len(all_tasks)} "
        f"{'task' if len(all_tasks) == 1 else 'tasks'}, {status_text} on the server. "
        "Replay it step by step, then run it yourself."
    )
    all_loose = [
        (float(line[0]), str(line[1]), str(line[2]))
        for line in run.output or []
        if isinstance(line, list) and len(line) == 3
    ]
    tasks, loose, unlisted_text = _listed(all_tasks, all_loose)
    again_url, again_text = _again(run, lesson)
    return Replay(
        title=title,
        description=description,
        demo_title=demo_title,
        mode=run.mode,
        is_reader_code=is_reader_code,
        params_text=params_text,
        status=run.status,
        status_text=status_text,
        elapsed=run.elapsed,
        code=code,
        task_count=len(all_tasks),
        tasks=tasks,
        loose_output=loose,
        unlisted_text=unlisted_text,
        again_url=again_url,
        again_text=again_text,
        data={
            "demo": run.demo,
            "mode": run.mode,
            "params": run.params,
            "code": is_reader_code,
            "title": demo_title,
            "source_html": code_html,
            "messages": messages_of(run),
            "trace": run.trace,
        },
    )


def _listed(
    tasks: list[TaskLine], loose: list[tuple[float, str, str]]
) -> tuple[list[TaskLine], list[tuple[float, str, str]], str]:
    """The tasks and lines the page lists (at most MAX_LISTED_*), and what it leaves out."""
    budget = MAX_LISTED_LINES
    listed = []
    for task in tasks[:MAX_LISTED_TASKS]:
        shown = task.output[: max(0, budget)]
        listed.append(replace(task, output=shown, unlisted_lines=len(task.output) - len(shown)))
        budget -= len(listed[-1].output)
    listed_loose = loose[: max(0, budget)]
    lines = sum(len(task.output) for task in tasks) + len(loose)
    lines_left = lines - sum(len(task.output) for task in listed) - len(listed_loose)
    tasks_left = len(tasks) - len(listed)
    left = [
        f"{count:,} more {word if count == 1 else word + 's'}"
        for count, word in ((tasks_left, "task"), (lines_left, "printed line"))
        if count
    ]
    if not left:
        return listed, listed_loose, ""
    text = f"Not listed here: {' and '.join(left)}. The replay shows every one."
    return listed, listed_loose, text


def messages_of(run: DemoRun) -> list[dict[str, Any]]:
    """The run's messages as the page received them, in time order, ``finished`` last."""
    events: list[tuple[float, int, dict[str, Any]]] = []
    for record in run.timeline:
        if not isinstance(record, dict) or not isinstance(record.get("task"), int):
            continue
        task = record["task"]
        if record.get("start") is not None:
            events.append((record["start"], 0, {"type": "task_started", "task": task,
                                                "t": record["start"]}))  # fmt: skip
        for t, text in record.get("output") or ():
            events.append((t, 1, {"type": "output", "task": task, "text": text, "t": t}))
        if record.get("end") is not None:
            finished = {"type": "task_finished", "task": task, "t": record["end"],
                        "ok": record.get("ok") is not False}  # fmt: skip
            if record.get("error"):
                finished["error"] = record["error"]
            events.append((record["end"], 2, finished))
    for t, text, stream in run.output or []:
        output = {"type": "output", "task": None, "text": text, "t": t}
        if stream == "stderr":
            output["stream"] = "stderr"
        events.append((t, 1, output))
    # Stable: at one instant a task starts before it prints, and prints before it ends.
    events.sort(key=lambda event: (event[0], event[1]))
    accepted: dict[str, Any] = {"type": "accepted", "demo": run.demo, "mode": run.mode,
                                "params": run.params}  # fmt: skip
    if run.code:
        accepted["code"] = True
    finished: dict[str, Any] = {"type": "finished", "elapsed": run.elapsed, "status": run.status,
                                "summary": _summary(run)}  # fmt: skip
    if run.reason:
        finished["reason"] = run.reason
    return [accepted, *(event for _, _, event in events), finished]


def _summary(run: DemoRun) -> str:
    if run.status == DemoRun.Status.CANCELLED:
        return f"Program cancelled after {run.elapsed:.2f} seconds."
    return summary_for(run.elapsed)


def _status_text(run: DemoRun) -> str:
    if run.status == DemoRun.Status.CANCELLED:
        return f"cancelled after {run.elapsed:.2f} s"
    if run.status == DemoRun.Status.FAILED:
        return f"failed after {run.elapsed:.2f} s"
    return f"{run.elapsed:.2f} s"


def _task_line(record: dict[str, Any]) -> TaskLine:
    return TaskLine(
        index=int(record.get("task", 0)),
        start=record.get("start"),
        end=record.get("end"),
        ok=record.get("ok"),
        error=str(record.get("error") or ""),
        output=[(float(t), str(text)) for t, text in record.get("output") or ()],
    )


def _value_text(value: Any) -> str:
    if isinstance(value, list):
        return ", ".join(map(str, value))
    return str(value)


def _again(run: DemoRun, lesson: Lesson | None) -> tuple[str | None, str]:
    """Where to run it again live: the lesson's demo with the same parameters, or
    the demo's editor for a reader's program."""
    if lesson is None:
        return None, ""
    query: dict[str, str] = {"demo": run.demo, "mode": run.mode}
    if run.code:
        query["shared"] = run.share_token or ""
        text = f"Open this program in the editor of “{lesson.title}”"
    else:
        query.update({name: _query_value(value) for name, value in run.params.items()})
        text = f"Run it again live in “{lesson.title}”"
    return f"{lesson.get_absolute_url()}?{urlencode(query)}", text


def _query_value(value: Any) -> str:
    return ",".join(map(str, value)) if isinstance(value, list) else str(value)
