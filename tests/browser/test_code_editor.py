"""Editing a demo's program: the editor, the reader's draft, and "Run my version".

Tests whose docstring starts with "UI:" answer runs of the reader's code with
hand-made server messages (code_runs.py) in the protocol's format: they check
what the page does with exact errors and limits, not the sandbox. The
"end_to_end" tests run the reader's code for real, in a site with its own
Redis and sandbox runner (they skip without bubblewrap).
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable

import pytest
from playwright.sync_api import Locator, Page, expect

from .accessibility import in_both_themes
from .code_runs import FakeCodeRuns, raised, refused, stopped, tasks_run
from .test_keyboard import is_focused, tab_to
from .test_loop_inspector import Inspector
from .test_traced_runs import TracedRun, trace_records
from .widget import SLEEP_LESSON, DemoWidget

DRAFT_KEY = "code-draft:v1:sleep:async"
PHONE = {"width": 360, "height": 740}

# Every CSP refusal the page sees, recorded from before its first script runs.
WATCH_CSP = """
window.cspViolations = [];
document.addEventListener("securitypolicyviolation", (event) => {
    window.cspViolations.push(`${event.violatedDirective}: ${event.blockedURI} ${event.sample}`);
});
"""


def catalog_source(page: Page, mode: str = "async") -> str:
    response = page.request.get("/demos/catalog.json")
    return response.json()["demos"]["sleep"]["modes"][mode]["source"]


class Editor:
    """The async listing's editor as a reader meets it, in the first demo of the sleep lesson."""

    def __init__(self, widget: DemoWidget) -> None:
        self.widget = widget
        self.page = widget.page
        self.panel = widget.root.locator(".source-panel:not([hidden])")
        self.box = widget.root.locator(".program-editor[data-mode='async']")
        self.content = self.box.locator(".cm-content")
        self.notice = self.box.locator(".editor-notice")
        self.problem = self.box.locator(".editor-problem-text")
        self.message = self.box.locator(".editor-message")

    @classmethod
    def open(cls, page: Page) -> Editor:
        widget = DemoWidget.open(page, SLEEP_LESSON)
        editor = cls(widget)
        widget.root.get_by_role("tab", name="async", exact=True).click()
        editor.panel.get_by_role("button", name="Edit", exact=True).click()
        expect(editor.content).to_be_visible()
        return editor

    def button(self, name: str) -> Locator:
        return self.box.locator(".editor-actions").get_by_role("button", name=name, exact=True)

    def text(self) -> str:
        return "\n".join(self.box.locator(".cm-line").all_text_contents())

    def replace_line(self, old: str, new: str) -> None:
        """Selects the line that starts with ``old`` by keyboard and types ``new`` over it.

        The line's indentation stays: Shift+Home selects back to it, not past it.
        """
        number = next(
            index
            for index, line in enumerate(self.text().splitlines(), start=1)
            if line.startswith(old)
        )
        self.box.locator(".cm-line").nth(number - 1).click()
        self.page.keyboard.press("End")
        self.page.keyboard.press("Shift+Home")
        self.page.keyboard.type(new.lstrip(" "))

    def marked_lines(self) -> Locator:
        return self.box.locator(".cm-line.is-marked")

    def wait_for_draft(self, check: Callable[[dict | None], bool], timeout: float = 10) -> None:
        # Polled from here: the page's policy refuses the string evaluation wait_for_function uses.
        deadline = time.monotonic() + timeout
        while not check(self.stored_draft()):
            assert time.monotonic() < deadline, f"the draft stayed {self.stored_draft()!r}"
            self.page.wait_for_timeout(100)

    def stored_draft(self) -> dict | None:
        raw = self.page.evaluate(f"localStorage.getItem({json.dumps(DRAFT_KEY)})")
        return json.loads(raw) if raw else None


@pytest.fixture
def fake_runs(page: Page) -> FakeCodeRuns:
    return FakeCodeRuns.install(page)


def test_edit_opens_an_editor_holding_the_lessons_listing(page: Page) -> None:
    editor = Editor.open(page)
    assert editor.text() == catalog_source(page)
    expect(editor.content).to_be_focused()
    expect(editor.content).to_have_attribute("aria-label", "Your version of the async program")
    # Python highlighting and line numbers.
    expect(editor.box.locator(".tok-keyword", has_text="async").first).to_be_visible()
    expect(
        editor.box.locator(".cm-lineNumbers .cm-gutterElement", has_text=re.compile(r"^1$"))
    ).to_be_visible()
    # The read-only listing steps aside while the editor is open, and comes back.
    expect(editor.panel.locator("pre.source-code")).to_be_hidden()
    editor.button("Close the editor").click()
    expect(editor.panel.locator("pre.source-code")).to_be_visible()
    expect(editor.panel.get_by_role("button", name="Edit", exact=True)).to_be_focused()


def test_the_draft_is_kept_across_a_reload_and_reset_restores_the_lessons_version(
    page: Page,
) -> None:
    editor = Editor.open(page)
    listing = catalog_source(page)
    editor.replace_line("TASKS = ", "TASKS = 5")
    # Saved shortly after typing, with the listing it started from.
    editor.wait_for_draft(lambda draft: draft is not None and "TASKS = 5" in draft["code"])
    assert editor.stored_draft()["code"] == listing.replace("TASKS = 3", "TASKS = 5")

    page.reload()
    editor = Editor(DemoWidget(page, page.locator(".demo-widget").first))
    # Reopened by itself, on the edited variant's tab, holding the draft.
    expect(editor.content).to_be_visible()
    expect(
        page.locator(".demo-widget").first.get_by_role("tab", name="async", exact=True)
    ).to_have_attribute("aria-selected", "true")
    assert "TASKS = 5" in editor.text()
    expect(editor.notice).to_be_hidden()

    editor.button("Reset to the lesson's version").click()
    assert editor.text() == listing
    expect(editor.message).to_have_text("Back to the lesson's version; your edits are gone.")
    assert editor.stored_draft() is None
    page.reload()
    widget = DemoWidget(page, page.locator(".demo-widget").first)
    expect(widget.root.locator(".source-panel:not([hidden]) pre.source-code")).to_be_visible()
    expect(widget.root.locator(".program-editor[data-mode='async']")).to_be_hidden()


def test_each_variant_keeps_its_own_draft_and_closing_keeps_it(page: Page) -> None:
    editor = Editor.open(page)
    editor.replace_line("TASKS = ", "TASKS = 7")
    editor.button("Close the editor").click()
    # Closed, the lesson's listing is back, with word that the edit is kept.
    expect(editor.panel.locator("pre.source-code")).to_contain_text("TASKS = 3")
    expect(editor.panel.locator(".editor-draft-note")).to_have_text(
        "Your edited version is kept here."
    )
    assert "TASKS = 7" in editor.stored_draft()["code"]

    widget = editor.widget
    widget.root.get_by_role("tab", name="sync", exact=True).click()
    sync_panel = widget.root.locator(".source-panel:not([hidden])")
    expect(sync_panel.locator(".editor-draft-note")).to_be_hidden()
    sync_panel.get_by_role("button", name="Edit", exact=True).click()
    sync_box = widget.root.locator(".program-editor[data-mode='sync']")
    expect(sync_box.locator(".cm-content")).to_be_focused()
    assert "\n".join(sync_box.locator(".cm-line").all_text_contents()) == catalog_source(
        page, "sync"
    )

    widget.root.get_by_role("tab", name="async", exact=True).click()
    editor.panel.get_by_role("button", name="Edit", exact=True).click()
    assert "TASKS = 7" in editor.text()


def test_a_draft_of_an_older_listing_says_the_lessons_version_changed(page: Page) -> None:
    page.goto(SLEEP_LESSON)
    older = {"code": "print('my old edit')\n", "base": "an-older-listing", "saved": 1}
    page.evaluate(f"localStorage.setItem({json.dumps(DRAFT_KEY)}, {json.dumps(json.dumps(older))})")
    page.reload()
    editor = Editor(DemoWidget(page, page.locator(".demo-widget").first))
    expect(editor.notice).to_be_visible()
    expect(editor.notice).to_contain_text(
        "The lesson's version of this program changed since you edited it."
    )
    assert editor.text() == "print('my old edit')\n"

    editor.notice.get_by_role("button", name="Reset to the lesson's version").click()
    expect(editor.notice).to_be_hidden()
    assert editor.text() == catalog_source(page)
    assert editor.stored_draft() is None


def test_keeping_a_draft_of_an_older_listing_stops_the_notice(page: Page) -> None:
    page.goto(SLEEP_LESSON)
    older = {"code": "print('mine')\n", "base": "an-older-listing", "saved": 1}
    page.evaluate(f"localStorage.setItem({json.dumps(DRAFT_KEY)}, {json.dumps(json.dumps(older))})")
    page.reload()
    editor = Editor(DemoWidget(page, page.locator(".demo-widget").first))
    editor.notice.get_by_role("button", name="Keep my version").click()
    expect(editor.notice).to_be_hidden()
    page.reload()
    editor = Editor(DemoWidget(page, page.locator(".demo-widget").first))
    expect(editor.content).to_be_visible()
    expect(editor.notice).to_be_hidden()
    assert editor.text() == "print('mine')\n"


def test_run_my_version_sends_the_code_without_params_and_draws_its_lanes(
    page: Page, fake_runs: FakeCodeRuns
) -> None:
    """UI: the page sends the code frame and shows the (hand-made) run like a demo run."""
    editor = Editor.open(page)
    editor.replace_line("TASKS = ", "TASKS = 5")
    editor.replace_line("SECONDS = ", "SECONDS = 0.3")
    fake_runs.answer(tasks_run(5, 0.3))
    editor.button("Run my version").click()
    editor.widget.wait_for("done")

    [frame] = fake_runs.sent
    assert frame["demo"] == "sleep"
    assert frame["mode"] == "async"
    assert "params" not in frame
    assert "trace" not in frame
    assert frame["code"] == editor.text()
    assert "TASKS = 5\n" in frame["code"]
    assert "SECONDS = 0.3\n" in frame["code"]

    expect(editor.widget.lanes("async", state="ok")).to_have_count(5)
    expect(editor.widget.console_lines("async", "output")).to_have_count(5)
    expect(editor.widget.result("async")).to_contain_text(
        "Your version: Program executed in 0.31 seconds."
    )


def test_with_tracing_ticked_my_version_asks_for_a_trace(
    page: Page, fake_runs: FakeCodeRuns
) -> None:
    """UI: Inspect mode applies to the reader's code as to the lesson's."""
    editor = Editor.open(page)
    editor.widget.root.get_by_label("Trace the event loop").check()
    fake_runs.answer(tasks_run(3, 0.1))
    editor.button("Run my version").click()
    editor.widget.wait_for("done")
    assert fake_runs.sent[0]["trace"] is True


def test_my_version_of_the_sync_program_may_be_traced_too(
    page: Page, fake_runs: FakeCodeRuns
) -> None:
    """UI: the reader's sync program may make an event loop; the server traces the first."""
    widget = DemoWidget.open(page, SLEEP_LESSON)
    widget.root.get_by_role("tab", name="sync", exact=True).click()
    widget.root.locator(".source-panel:not([hidden])").get_by_role(
        "button", name="Edit", exact=True
    ).click()
    widget.root.get_by_label("Trace the event loop").check()
    widget.root.locator(".program-editor[data-mode='sync']").get_by_role(
        "button", name="Run my version"
    ).click()
    widget.wait_for("done")
    assert fake_runs.sent[0]["mode"] == "sync"
    assert fake_runs.sent[0]["trace"] is True


def test_the_parameters_do_not_apply_to_my_version_and_the_hint_says_so(
    page: Page, fake_runs: FakeCodeRuns
) -> None:
    """UI: a refused parameter in the form does not stop a run of the reader's code."""
    editor = Editor.open(page)
    expect(editor.box.locator(".editor-hint")).to_contain_text(
        "Your version runs with the constants written in it; "
        "the demo's settings apply only to the lesson's version."
    )
    expect(editor.box.locator(".editor-hint")).to_contain_text("press Esc then Tab")
    editor.widget.fill(Tasks=99)  # out of bounds for the lesson's version
    editor.button("Run my version").click()
    editor.widget.wait_for("done")
    assert len(fake_runs.sent) == 1


def test_an_exception_shows_its_traceback_and_marks_its_line(
    page: Page, fake_runs: FakeCodeRuns
) -> None:
    """UI: the traceback keeps its lines in the console; the line is marked and named."""
    editor = Editor.open(page)
    editor.replace_line("    print(", "    print(1 / 0)")
    number = next(
        i for i, line in enumerate(editor.text().splitlines(), start=1) if "1 / 0" in line
    )
    traceback = (
        "Traceback (most recent call last):\n"
        f'  File "main.py", line {number}, in say_hello\n'
        "    print(1 / 0)\n"
        "          ~~^~~\n"
        "ZeroDivisionError: division by zero"
    )
    error = {
        "type": "ZeroDivisionError",
        "message": "division by zero",
        "line": number,
        "traceback": traceback,
    }
    fake_runs.answer(raised(error))
    editor.button("Run my version").click()
    editor.widget.wait_for("done")

    shown = editor.widget.root.locator(".console-lines li[data-kind='traceback'] pre")
    expect(shown).to_have_text(traceback)
    assert shown.evaluate("element => getComputedStyle(element).whiteSpace") == "pre"
    expect(editor.problem).to_have_text(
        f"Your version stopped with an error on line {number}: "
        "ZeroDivisionError: division by zero. The traceback is in the console."
    )
    expect(editor.problem).to_have_attribute("role", "alert")
    expect(editor.marked_lines()).to_have_count(1)
    expect(editor.marked_lines()).to_contain_text("print(1 / 0)")
    expect(editor.marked_lines()).to_have_attribute("data-mark", "error")
    expect(editor.widget.result("async")).to_contain_text("ZeroDivisionError: division by zero")

    editor.box.get_by_role("button", name=f"Go to line {number}").click()
    expect(editor.content).to_be_focused()
    cursor_line = page.evaluate(
        "() => { const s = document.querySelector('.code-editor-host').shadowRoot.getSelection();"
        " return s.anchorNode.parentElement.closest('.cm-line').textContent; }"
    )
    assert "1 / 0" in cursor_line

    # The next run starts clean.
    fake_runs.answer(tasks_run(3, 0.1))
    editor.button("Run my version").click()
    editor.widget.wait_for("done")
    expect(editor.marked_lines()).to_have_count(0)
    expect(editor.problem).to_be_empty()


def test_a_syntax_error_is_shown_at_its_line_and_nothing_ran(
    page: Page, fake_runs: FakeCodeRuns
) -> None:
    """UI: the server's SyntaxError (elapsed 0, nothing ran) is shown on its line."""
    editor = Editor.open(page)
    editor.replace_line("TASKS = ", "TASKS = = 5")
    number = next(
        i for i, line in enumerate(editor.text().splitlines(), start=1) if "= = 5" in line
    )
    error = {
        "type": "SyntaxError",
        "message": "invalid syntax",
        "line": number,
        "column": 9,
        "traceback": (
            f'  File "main.py", line {number}\n    TASKS = = 5\n'
            "            ^\nSyntaxError: invalid syntax"
        ),
    }
    fake_runs.answer(raised(error, ran=False))
    editor.button("Run my version").click()
    editor.widget.wait_for("done")
    expect(editor.problem).to_have_text(
        f"Nothing ran: line {number}, column 9 has a syntax error (invalid syntax)."
    )
    expect(editor.marked_lines()).to_have_text(re.compile(r"^TASKS = = 5"))
    expect(editor.widget.lanes("async")).to_have_count(0)


def test_standard_error_and_a_stopping_limit_are_said_plainly(
    page: Page, fake_runs: FakeCodeRuns
) -> None:
    """UI: stderr lines are labelled as such; a limit's reason is the run's result."""
    editor = Editor.open(page)
    warning = {
        "type": "output",
        "task": None,
        "stream": "stderr",
        "text": "DeprecationWarning: old",
        "t": 0.01,
    }
    fake_runs.answer(stopped("Stopped: used more than 5 s of CPU.", output=[warning]))
    editor.button("Run my version").click()
    editor.widget.wait_for("done")
    stderr = editor.widget.console_lines("async", "stderr")
    expect(stderr).to_have_count(1)
    expect(stderr).to_contain_text("stderr: DeprecationWarning: old")
    expect(editor.widget.result("async")).to_contain_text("Stopped: used more than 5 s of CPU.")
    expect(editor.widget.console_lines("async", "summary")).to_contain_text(
        "Stopped: used more than 5 s of CPU."
    )


def test_a_refusal_of_the_server_is_said_in_the_editor(page: Page, fake_runs: FakeCodeRuns) -> None:
    """UI: "unavailable" (no sandbox answers) is told where the reader pressed Run."""
    editor = Editor.open(page)
    fake_runs.answer(
        refused("unavailable", "No sandbox is free to run code right now; try again in a moment.")
    )
    editor.button("Run my version").click()
    editor.widget.wait_for("error")
    expect(editor.message).to_have_text(
        "Not run: No sandbox is free to run code right now; try again in a moment."
    )


def test_code_over_32_kib_is_refused_before_sending(page: Page, fake_runs: FakeCodeRuns) -> None:
    editor = Editor.open(page)
    editor.content.click()
    page.keyboard.press("Control+End")
    page.keyboard.insert_text("# " + "x" * 34_000 + "\n")
    editor.button("Run my version").click()
    expect(editor.message).to_contain_text(re.compile(r"Not run: your version is 33\.\d KiB;"))
    expect(editor.message).to_contain_text(
        "a run takes at most 32 KiB of code. Shorten it to run it."
    )
    assert fake_runs.sent == []
    expect(editor.widget.root).to_have_attribute("data-state", "idle")


def test_the_keyboard_alone_edits_leaves_the_editor_and_runs(
    new_page: Callable[..., Page],
) -> None:
    page = new_page(viewport={"width": 1280, "height": 900}, reduced_motion="reduce")
    fake_runs = FakeCodeRuns.install(page)
    widget = DemoWidget.open(page, SLEEP_LESSON)
    editor = Editor(widget)
    async_tab = widget.root.get_by_role("tab", name="async", exact=True)
    tab_to(page, widget.root.get_by_role("tab", name="sync", exact=True))
    page.keyboard.press("ArrowRight")
    assert is_focused(async_tab)
    edit = editor.panel.get_by_role("button", name="Edit", exact=True)
    tab_to(page, edit)
    page.keyboard.press("Enter")
    expect(editor.content).to_be_focused()

    # Tab indents inside the editor...
    page.keyboard.press("Control+Home")
    page.keyboard.press("Tab")
    assert editor.text().startswith("    import asyncio")
    page.keyboard.press("Control+z")
    assert editor.text().startswith("import asyncio")
    # ...and Escape then Tab leaves it, to the next control.
    page.keyboard.press("Escape")
    page.keyboard.press("Tab")
    expect(editor.content).not_to_be_focused()
    expect(editor.button("Run my version")).to_be_focused()
    page.keyboard.press("Enter")
    widget.wait_for("done")
    assert len(fake_runs.sent) == 1


def test_the_editor_raises_no_csp_violation(new_page: Callable[..., Page]) -> None:
    page = new_page(viewport={"width": 1280, "height": 900})
    page.add_init_script(WATCH_CSP)
    editor = Editor.open(page)
    page.keyboard.type("# typed\n")
    # CodeMirror's own rules are in force (they are what lays the gutter beside the text)...
    assert (
        editor.box.locator(".cm-editor").evaluate("element => getComputedStyle(element).display")
        == "flex"
    )
    assert editor.box.locator(".tok-keyword").first.evaluate(
        "element => getComputedStyle(element).color"
    ) != (editor.box.locator(".cm-content").evaluate("element => getComputedStyle(element).color"))
    # ...and the policy refused nothing (the fixture also fails on a console report).
    assert page.evaluate("window.cspViolations") == []
    assert page.locator("style").count() == 0


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_the_editor_takes_the_sites_colours_in_both_themes(
    new_page: Callable[..., Page], scheme: str
) -> None:
    page = new_page(viewport={"width": 1280, "height": 900}, color_scheme=scheme)
    editor = Editor.open(page)
    expected = {
        "light": ("rgb(244, 242, 237)", "rgb(160, 24, 95)"),
        "dark": ("rgb(16, 19, 24)", "rgb(243, 139, 200)"),
    }
    background, keyword = expected[scheme]
    painted = editor.box.locator(".cm-editor").evaluate(
        "element => getComputedStyle(element).backgroundColor"
    )
    assert painted == background
    colour = editor.box.locator(".tok-keyword").first.evaluate(
        "element => getComputedStyle(element).color"
    )
    assert colour == keyword


def test_the_theme_toggle_repaints_the_open_editor(page: Page) -> None:
    page.emulate_media(color_scheme="light")
    editor = Editor.open(page)
    page.get_by_role("button", name="Dark theme").click()
    painted = editor.box.locator(".cm-editor").evaluate(
        "element => getComputedStyle(element).backgroundColor"
    )
    assert painted == "rgb(16, 19, 24)"


def test_the_editor_and_an_error_have_no_serious_violations_in_both_themes(
    page: Page, fake_runs: FakeCodeRuns
) -> None:
    editor = Editor.open(page)
    error = {
        "type": "ValueError",
        "message": "bad",
        "line": 3,
        "traceback": "Traceback...\nValueError: bad",
    }
    fake_runs.answer(raised(error))
    editor.button("Run my version").click()
    editor.widget.wait_for("done")
    expect(editor.marked_lines()).to_have_count(1)
    assert in_both_themes(page) == []


def test_the_editor_fits_a_phone(new_page: Callable[..., Page]) -> None:
    page = new_page(viewport=PHONE, is_mobile=True, has_touch=True)
    fake_runs = FakeCodeRuns.install(page)
    editor = Editor.open(page)
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    box = editor.box.locator(".cm-editor").bounding_box()
    assert box["x"] >= 0
    assert box["x"] + box["width"] <= PHONE["width"]
    run = editor.button("Run my version")
    run_box = run.bounding_box()
    assert run_box["x"] + run_box["width"] <= PHONE["width"]
    fake_runs.answer(tasks_run(2, 0.1))
    run.tap()
    editor.widget.wait_for("done")
    expect(editor.widget.lanes("async", state="ok")).to_have_count(2)
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]


# End to end: the reader's code runs in a real sandbox ---------------------------


@pytest.fixture
def sandbox_page(new_sandbox_page: Callable[..., Page]) -> Page:
    return new_sandbox_page(viewport={"width": 1280, "height": 900})


def test_end_to_end_five_tasks_of_my_version_run_and_draw_five_lanes(sandbox_page: Page) -> None:
    editor = Editor.open(sandbox_page)
    editor.replace_line("TASKS = ", "TASKS = 5")
    editor.replace_line("SECONDS = ", "SECONDS = 0.3")
    editor.button("Run my version").click()
    editor.widget.wait_for("done")
    expect(editor.widget.lanes("async", state="ok")).to_have_count(5)
    expect(editor.widget.console_lines("async", "output")).to_have_count(5)
    expect(editor.widget.console_lines("async", "output").first).to_contain_text("Hello")
    elapsed = editor.widget.elapsed("async")
    assert 0.3 <= elapsed < 3
    expect(editor.widget.result("async")).to_contain_text("Your version:")
    expect(editor.problem).to_be_empty()


def test_end_to_end_an_exception_in_my_version_marks_its_line(sandbox_page: Page) -> None:
    editor = Editor.open(sandbox_page)
    editor.replace_line("    print(", '    print("Hello", 1 / 0)')
    number = next(
        i for i, line in enumerate(editor.text().splitlines(), start=1) if "1 / 0" in line
    )
    editor.button("Run my version").click()
    editor.widget.wait_for("done")
    traceback = editor.widget.root.locator(".console-lines li[data-kind='traceback'] pre")
    expect(traceback).to_contain_text("ZeroDivisionError: division by zero")
    expect(traceback).to_contain_text(f"line {number}")
    expect(editor.problem).to_contain_text(f"error on line {number}: ZeroDivisionError")
    expect(editor.marked_lines()).to_have_count(1)
    expect(editor.marked_lines()).to_contain_text("1 / 0")


def test_end_to_end_a_syntax_error_is_shown_at_its_line(sandbox_page: Page) -> None:
    editor = Editor.open(sandbox_page)
    editor.replace_line("TASKS = ", "TASKS = = 5")
    number = next(
        i for i, line in enumerate(editor.text().splitlines(), start=1) if "= = 5" in line
    )
    editor.button("Run my version").click()
    editor.widget.wait_for("done")
    expect(editor.problem).to_contain_text(f"Nothing ran: line {number}")
    expect(editor.marked_lines()).to_contain_text("TASKS = = 5")
    expect(editor.widget.lanes("async")).to_have_count(0)
    assert editor.widget.elapsed("async") == 0


def test_end_to_end_my_version_traced_can_be_inspected_on_its_own_lines(
    sandbox_page: Page,
) -> None:
    records = trace_records(sandbox_page)
    editor = Editor.open(sandbox_page)
    editor.replace_line("TASKS = ", "TASKS = 2")
    editor.replace_line("SECONDS = ", "SECONDS = 0.2")
    editor.widget.root.get_by_label("Trace the event loop").check()
    editor.button("Run my version").click()
    editor.widget.wait_for("done")
    expect(editor.widget.lanes("async", state="ok")).to_have_count(2)
    # Closed after the run, the editor comes back to show where the inspected steps are.
    editor.button("Close the editor").click()
    run = TracedRun(editor.widget, Inspector(editor.widget), records)
    run.open_inspector()
    # The inspector marks lines of the reader's code, in the editor, not in the listing.
    run.step_until(lambda: editor.marked_lines().count() > 0)
    expect(editor.marked_lines().first).to_be_visible()
    assert editor.widget.root.locator(".code-line.is-marked").count() == 0
