/* Graded exercises: <section class="exercise"> blocks of a lesson, made runnable.
 *
 * The server wrote the task, the goals (with their sentences), the starting
 * program, the hints and the solution into the page (exercises/html.py);
 * this module puts a code editor (code-editor.js) in place of the starting
 * program and wires the controls already in the markup. A run goes over the
 * page's demo socket as {type: "run", exercise: {lesson, index}, code}: the
 * server runs it in its sandbox with the trace on, streams it like any run
 * (drawn by timeline.js as it goes) and then sends "graded", each goal's
 * verdict with the figure it was measured at. The goals are graded on the
 * server from the saved lesson; nothing here decides a verdict.
 *
 * A passed exercise is told to progress.js with an "exercise:passed" event.
 * The reader's edits are kept in this browser as a draft (drafts.js).
 */

import { newRunId, Run } from "./run.js";
import { Timeline } from "./timeline.js";
import { h } from "./dom.js";
import { clearDraft, loadDraft, saveDraft, hashText } from "./drafts.js";
import { MAX_CODE_BYTES } from "./program-editor.js";

const MODE = "async";
const SAVE_DELAY_MS = 400;
const reducedMotion = window.matchMedia("(prefers-reduced-motion: reduce)");

export function setUpExercises(sections, { socket, lessonId }) {
  return sections.map((section) => new ExerciseWidget(section, { socket, lessonId }));
}

class ExerciseWidget {
  constructor(section, { socket, lessonId }) {
    this.section = section;
    this.socket = socket;
    this.lessonId = Number(lessonId);
    this.index = Number(section.dataset.exercise);
    this.number = this.index + 1;
    this.draftKey = `exercise-${lessonId}-${this.index}`;
    this.start = section.querySelector(".exercise-start code")?.textContent ?? "";
    this.solution = section.querySelector(".exercise-solution-code code")?.textContent ?? "";
    this.base = hashText(this.start);
    this.run = null;
    this.frame = 0;
    this.saveTimer = 0;

    this.status = section.querySelector(".exercise-status");
    this.runButton = section.querySelector("[data-action='run']");
    this.cancelButton = section.querySelector("[data-action='cancel']");
    this.resetButton = section.querySelector("[data-action='reset']");
    this.runBox = section.querySelector(".exercise-run");
    this.output = section.querySelector(".exercise-output");
    this.goals = [...section.querySelectorAll(".exercise-goal")];
    this.solutionBox = section.querySelector(".exercise-solution");
    this.compare = section.querySelector(".exercise-compare");

    this.timeline = new Timeline({ modes: [MODE], modeLabels: { [MODE]: "Your program" } });
    section.querySelector(".exercise-timeline")?.append(this.timeline.element);

    this.runButton.addEventListener("click", () => this.send());
    this.cancelButton.addEventListener("click", () => this.cancel());
    this.resetButton.addEventListener("click", () => this.reset());
    section.querySelector("[data-action='use-solution']")?.addEventListener("click", () => this.useSolution());
    for (const goal of this.goals) {
      goal.querySelector(".exercise-goal-at")?.addEventListener("click", () => this.showMoment(goal));
    }
    this.solutionBox?.addEventListener("toggle", () => {
      if (this.solutionBox.open) this.showComparison();
    });
    this.setUpHints();
    this.buildEditor();
    window.addEventListener("pagehide", () => this.flush());
  }

  // The editor -------------------------------------------------------------------

  async buildEditor() {
    const draft = loadDraft(this.draftKey, MODE);
    const { CodeEditor } = await import("./code-editor.js");
    this.editor = new CodeEditor({
      doc: draft && draft.base === this.base ? draft.code : this.start,
      label: `Your program for exercise ${this.number}`,
      hint: "Tab indents. To leave the editor with the keyboard, press Esc then Tab. Your edits are kept in this browser.",
      onChange: () => this.scheduleSave(),
    });
    this.section.querySelector(".exercise-editor-slot").append(this.editor.element);
    const title = this.section.querySelector(".exercise-program-title");
    if (title) title.textContent = "Your program:";
    this.section.classList.add("is-ready");
  }

  scheduleSave() {
    window.clearTimeout(this.saveTimer);
    this.saveTimer = window.setTimeout(() => this.flush(), SAVE_DELAY_MS);
  }

  flush() {
    window.clearTimeout(this.saveTimer);
    if (!this.editor) return;
    const code = this.editor.code;
    if (code === this.start) clearDraft(this.draftKey, MODE);
    else saveDraft(this.draftKey, MODE, { code, base: this.base });
  }

  reset() {
    if (!this.editor) return;
    this.editor.setCode(this.start);
    clearDraft(this.draftKey, MODE);
    this.say("Back to the starting code; your edits are gone.");
    this.editor.focus();
  }

  useSolution() {
    if (!this.editor) return;
    this.editor.setCode(this.solution);
    this.flush();
    this.showComparison();
    this.say("The solution is in the editor: run it to see every goal met. Ctrl+Z brings your version back.");
    this.editor.focus();
  }

  say(text) {
    this.status.textContent = text;
  }

  // Running ------------------------------------------------------------------------

  send() {
    if (!this.editor || this.run?.isActive) return;
    const code = this.editor.code;
    if (new TextEncoder().encode(code).length > MAX_CODE_BYTES) {
      this.say(`Not run: a run takes at most ${MAX_CODE_BYTES / 1024} KiB of code.`);
      return;
    }
    if (!this.socket.isOpen) {
      this.say("Not connected to the server, so nothing was sent. Reconnecting…");
      return;
    }
    this.flush();
    this.run?.unfollow?.(); // an earlier run's late verdicts are not this one's
    const run = new Run({ id: newRunId("exercise", MODE), demo: "exercise", mode: MODE, params: {},
      guess: null, traced: true, code });
    this.run = run;
    this.clearVerdicts();
    this.output.textContent = "";
    this.runBox.hidden = false;
    run.unfollow = this.socket.follow(run.id, (message) => this.onMessage(run, message));
    const sent = this.socket.send({ type: "run", id: run.id, exercise: { lesson: this.lessonId, index: this.index },
      code });
    if (!sent) {
      this.onMessage(run, { type: "disconnected" });
      return;
    }
    this.say("Running your program…");
    this.setRunning(true);
    this.update();
  }

  cancel() {
    if (!this.run?.isActive) return;
    this.run.cancelRequested = true;
    this.socket.send({ type: "cancel", id: this.run.id });
    this.say("Cancelling…");
  }

  setRunning(running) {
    this.runButton.disabled = running;
    this.cancelButton.disabled = !running;
    this.section.dataset.state = running ? "running" : "idle";
  }

  onMessage(run, message) {
    if (run !== this.run) return;
    const line = run.apply(message);
    switch (message.type) {
      case "queued":
        this.say(`Waiting for a free slot on the server (position ${message.position}).`);
        break;
      case "output":
        if (line) this.output.append(`${line.text}\n`);
        break;
      case "finished":
        // The run is over: another may start. Its verdicts follow, except for a
        // run cancelled before it started, which has nothing to grade.
        this.setRunning(false);
        this.output.append(run.error?.traceback ? `${run.error.traceback}\n` : "");
        this.say(run.outcome === "cancelled" ? run.summary : `${run.summary} Grading…`);
        break;
      case "graded":
        run.unfollow?.();
        this.setRunning(false);
        this.showVerdicts(message);
        break;
      case "error":
        run.unfollow?.();
        this.setRunning(false);
        this.say(`Not run: ${run.errorMessage}`);
        break;
      case "disconnected":
        run.unfollow?.();
        this.setRunning(false);
        this.say("The connection to the server was lost, so this run was not graded. Run it again once reconnected.");
        break;
      default:
        break;
    }
    this.update();
  }

  update() {
    this.timeline.render({ [MODE]: this.run });
    if (!this.run?.isActive || reducedMotion.matches || this.frame) return;
    const step = () => {
      this.frame = 0;
      this.timeline.render({ [MODE]: this.run });
      if (this.run?.isActive && !reducedMotion.matches) this.frame = window.requestAnimationFrame(step);
    };
    this.frame = window.requestAnimationFrame(step);
  }

  // Verdicts -----------------------------------------------------------------------

  clearVerdicts() {
    delete this.section.dataset.verdict;
    this.timeline.setCursor(MODE, null);
    for (const goal of this.goals) {
      delete goal.dataset.verdict;
      goal.querySelector(".exercise-goal-figure").textContent = "";
      goal.querySelector(".exercise-goal-at").hidden = true;
    }
  }

  showVerdicts(graded) {
    const verdicts = Array.isArray(graded.goals) ? graded.goals : [];
    const failed = [];
    verdicts.forEach((verdict, index) => {
      const goal = this.goals[index];
      if (!goal) return;
      const passed = verdict.passed === true;
      goal.dataset.verdict = passed ? "passed" : "failed";
      goal.querySelector(".exercise-goal-figure").textContent = `${passed ? "Passed" : "Failed"}: ${verdict.figure}`;
      const at = Number.isFinite(verdict.at) ? verdict.at : null;
      const button = goal.querySelector(".exercise-goal-at");
      button.hidden = passed || at === null;
      if (at !== null) {
        goal.dataset.at = String(at);
        button.textContent = `Show ${at.toFixed(2)} s in the timeline`;
      }
      if (!passed) failed.push(`${verdict.sentence} (${verdict.figure})`);
    });
    const passedAll = graded.passed === true && verdicts.length > 0;
    this.section.dataset.verdict = passedAll ? "passed" : "failed";
    if (passedAll) {
      this.say(`Exercise passed: all ${verdicts.length} goals met. The solution is open below, beside your version.`);
      this.section.dispatchEvent(
        new CustomEvent("exercise:passed", { bubbles: true, detail: { number: this.number } }),
      );
      if (this.solutionBox) this.solutionBox.open = true;
      this.showComparison();
    } else {
      const met = verdicts.length - failed.length;
      this.say(`${met} of ${verdicts.length} goals met. Not met: ${failed.join("; ")}.`);
    }
  }

  showMoment(goal) {
    const at = Number(goal.dataset.at);
    if (!Number.isFinite(at)) return;
    this.timeline.setCursor(MODE, at);
    this.timeline.element.scrollIntoView({ block: "nearest", behavior: reducedMotion.matches ? "auto" : "smooth" });
    const sentence = goal.querySelector(".exercise-goal-text")?.textContent ?? "";
    this.say(`The timeline marks ${at.toFixed(2)} s, where this goal was decided: ${sentence}`);
  }

  // Hints --------------------------------------------------------------------------

  setUpHints() {
    const box = this.section.querySelector(".exercise-hints");
    if (!box) return;
    const hints = [...box.querySelectorAll(".exercise-hint")];
    const button = box.querySelector("[data-action='hint']");
    const count = box.querySelector(".exercise-hint-count");
    let shown = 0;
    button.addEventListener("click", () => {
      if (shown >= hints.length) return;
      hints[shown].classList.add("is-shown");
      shown += 1;
      count.textContent = `Hint ${shown} of ${hints.length}`;
      if (shown === hints.length) {
        button.disabled = true;
        button.textContent = "No more hints";
      } else {
        button.textContent = "Show the next hint";
      }
    });
  }

  // The solution beside the reader's version ---------------------------------------

  showComparison() {
    if (!this.compare || !this.editor) return;
    const rows = compareLines(this.editor.code, this.solution);
    const changed = rows.filter((row) => row.kind !== "same").length;
    // Focusable: a long line scrolls sideways, and a keyboard must reach it.
    const list = h("ol", { class: "exercise-compare-lines", tabindex: "0", "aria-label": "Your version beside the solution" });
    for (const row of rows) {
      const word = row.kind === "yours" ? "Only in yours: " : row.kind === "solution" ? "Only in the solution: " : "";
      list.append(
        h(
          "li",
          { "data-kind": row.kind },
          h("span", { class: "exercise-compare-sign", "aria-hidden": "true" }, row.kind === "yours" ? "−" : row.kind === "solution" ? "+" : " "),
          word ? h("span", { class: "visually-hidden" }, word) : "",
          h("code", {}, row.text || " "),
        ),
      );
    }
    const summary = changed
      ? `Your version beside the solution: ${changed} line${changed === 1 ? "" : "s"} differ (− yours only, + the solution only).`
      : "Your version is the same as the solution, line for line.";
    this.compare.replaceChildren(h("p", { class: "exercise-compare-title" }, summary), list);
  }
}

/**
 * The two texts line by line, in order: lines they share, and lines only one
 * has (a longest common subsequence of lines, like a diff). Programs here are
 * short, so the quadratic table is small.
 */
export function compareLines(yours, solution) {
  const a = yours.replace(/\n$/, "").split("\n");
  const b = solution.replace(/\n$/, "").split("\n");
  const lengths = Array.from({ length: a.length + 1 }, () => new Array(b.length + 1).fill(0));
  for (let i = a.length - 1; i >= 0; i -= 1) {
    for (let j = b.length - 1; j >= 0; j -= 1) {
      lengths[i][j] = a[i].trimEnd() === b[j].trimEnd() ? lengths[i + 1][j + 1] + 1 : Math.max(lengths[i + 1][j], lengths[i][j + 1]);
    }
  }
  const rows = [];
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    if (i < a.length && j < b.length && a[i].trimEnd() === b[j].trimEnd()) {
      rows.push({ kind: "same", text: a[i] });
      i += 1;
      j += 1;
    } else if (j < b.length && (i >= a.length || lengths[i][j + 1] >= lengths[i + 1][j])) {
      rows.push({ kind: "solution", text: b[j] });
      j += 1;
    } else {
      rows.push({ kind: "yours", text: a[i] });
      i += 1;
    }
  }
  return rows;
}
