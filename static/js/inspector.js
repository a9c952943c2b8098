/* Inspect mode: step through a traced run, one turn of its event loop at a
 * time, once the run is over.
 *
 * At each turn it shows what the loop knew as the turn began: the ready
 * queue, the timers (due when, waking what), every task and what it waits
 * for; the widget highlights in the code the line where each task is paused
 * and moves a cursor along the timeline (onShow).
 *
 * Keyboard: Previous and Next are buttons; on them the arrow keys move one
 * turn and Home and End go to the first and the last; the range input does
 * the same natively. A polite live region says where the reader stands.
 */

import { h, uniqueId } from "./dom.js";
import { inSentence } from "./format.js";
import { announcement, at, blockSentence, markedLines, snapshotAt, stateText, turnText, unitOf } from "./trace.js";

export class Inspector {
  /**
   * `names`: mode -> the name readers see ("async"); `onShow(run, snapshot, marks)`
   * is called at each position, and with nulls when the inspector closes.
   */
  constructor({ modes, names, onShow }) {
    this.modes = modes;
    this.names = names;
    this.onShow = onShow;
    this.run = null;
    this.model = null;
    this.index = 0;
    this.key = "";
    this.build();
  }

  build() {
    const panelId = uniqueId("inspector");
    const titleId = uniqueId("inspector-title");
    this.panelId = panelId;
    this.note = h("p", { class: "trace-note" });
    this.toggles = new Map(
      this.modes.map((mode) => {
        const toggle = h(
          "button",
          {
            type: "button",
            class: "demo-toggle",
            "aria-pressed": "false",
            "aria-controls": panelId,
            "data-action": "inspect",
            "data-mode": mode,
            hidden: true,
          },
          `Inspect the ${inSentence(this.names[mode])} run`,
        );
        toggle.addEventListener("click", () => this.toggle(mode));
        return [mode, toggle];
      }),
    );
    this.title = h("p", { class: "pane-title", id: titleId }, "Inside the event loop");
    this.previous = h("button", { type: "button", class: "demo-button", "data-action": "previous" }, "Previous turn");
    this.next = h("button", { type: "button", class: "demo-button", "data-action": "next" }, "Next turn");
    this.range = h("input", {
      type: "range",
      class: "inspector-range",
      min: 1,
      max: 1,
      step: 1,
      value: 1,
      "aria-label": "Turn",
    });
    this.previous.addEventListener("click", () => this.move(this.index - 1));
    this.next.addEventListener("click", () => this.move(this.index + 1));
    this.range.addEventListener("input", () => this.go(Number(this.range.value) - 1));
    const controls = h(
      "div",
      { class: "inspector-controls", role: "group", "aria-label": "Step through the turns" },
      this.previous,
      this.range,
      this.next,
    );
    controls.addEventListener("keydown", (event) => this.onKey(event));

    this.position = h("p", { class: "inspector-position" });
    this.turn = h("p", { class: "inspector-turn" });
    this.blocked = h("p", { class: "inspector-blocked" });
    this.ready = this.box("Ready queue", "ol");
    this.timers = this.box("Timers", "ul");
    this.tasks = this.box("Every task", "ul");
    this.tasks.list.classList.add("inspector-tasks");
    this.panel = h(
      "section",
      { class: "inspector", id: panelId, "aria-labelledby": titleId, hidden: true },
      this.title,
      controls,
      h(
        "p",
        { class: "inspector-keys" },
        "On the buttons, the arrow keys move one turn; Home and End go to the first and the last.",
      ),
      this.position,
      this.turn,
      this.blocked,
      h("div", { class: "inspector-grid" }, this.ready.element, this.timers.element, this.tasks.element),
    );
    // Outside the panel, so that it exists before the panel is shown and its first words are heard.
    this.live = h("p", { class: "visually-hidden", role: "status", "aria-live": "polite" });
    this.element = h(
      "div",
      { class: "trace-area" },
      this.note,
      h("div", { class: "trace-toggles" }, [...this.toggles.values()]),
      this.panel,
      this.live,
    );
  }

  box(title, tag) {
    const id = uniqueId("inspector-box");
    const list = h(tag, { class: "inspector-list", "aria-labelledby": id });
    const element = h("div", { class: "inspector-box" }, h("p", { class: "pane-title", id }, title), list);
    return { element, list };
  }

  // Following the runs ---------------------------------------------------------

  /** Called at every widget update: cheap unless a traced run changed. */
  update(runs) {
    this.lastRuns = runs;
    const key = this.modes
      .map((mode) => {
        const run = runs[mode];
        return run ? `${run.id}:${run.status}:${run.traced}:${run.trace.version}` : "-";
      })
      .join("|");
    if (key === this.key) return;
    this.key = key;
    if (this.run && (runs[this.run.mode] !== this.run || !inspectable(this.run))) this.close();
    const notes = [];
    for (const mode of this.modes) {
      const run = runs[mode];
      const toggle = this.toggles.get(mode);
      toggle.hidden = !(run && inspectable(run));
      if (run && (run.traced || run.trace.size)) notes.push(this.noteFor(run));
    }
    this.note.textContent = notes.join(" ");
    if (this.run && this.run.trace.model !== this.model) this.open(this.run);
  }

  noteFor(run) {
    const name = this.names[run.mode];
    const count = run.trace.size;
    if (run.isActive) {
      return count ? `${name}: tracing the event loop, ${count} records so far…` : `${name}: tracing the event loop…`;
    }
    if (!count) return `${name}: no trace of the event loop came back from the server for this run.`;
    const { turns, truncated } = run.trace.model;
    const cut = truncated ? ` The trace stops after ${truncated.limit ?? "its first"} records; the run went on.` : "";
    if (!turns.length) return `${name}: the trace holds no turn of the event loop.${cut}`;
    return `${name}: ${turns.length} ${turns.length === 1 ? "turn" : "turns"} of the event loop recorded.${cut}`;
  }

  // Opening and moving -----------------------------------------------------------

  toggle(mode) {
    const run = this.runOf(mode);
    if (this.run && this.run.mode === mode) this.close();
    else if (run) this.open(run);
  }

  runOf(mode) {
    const toggle = this.toggles.get(mode);
    return toggle.hidden ? null : this.lastRuns?.[mode] || null;
  }

  open(run) {
    // The same run again (its trace was replaced) keeps its place; another starts at turn 1.
    this.index = this.openedFor === run ? Math.min(this.index, run.trace.model.turns.length - 1) : 0;
    this.openedFor = run;
    this.run = run;
    this.model = run.trace.model;
    for (const [mode, toggle] of this.toggles) toggle.setAttribute("aria-pressed", String(mode === run.mode));
    this.title.textContent = `Inside the event loop: the ${inSentence(this.names[run.mode])} run`;
    this.range.max = String(this.model.turns.length);
    this.panel.hidden = false;
    this.show();
  }

  close() {
    this.run = null;
    this.model = null;
    this.panel.hidden = true;
    for (const toggle of this.toggles.values()) toggle.setAttribute("aria-pressed", "false");
    this.live.textContent = "";
    this.shownIndex = null;
    this.onShow(null, null, []);
  }

  move(index) {
    if (!this.model) return;
    const last = this.model.turns.length - 1;
    if (index < 0 || index > last) {
      this.live.textContent = index < 0 ? "This is the first turn." : "This is the last turn.";
      return;
    }
    this.go(index);
  }

  go(index) {
    if (!this.model) return;
    const clamped = Math.max(0, Math.min(this.model.turns.length - 1, index));
    if (clamped === this.shownIndex) return;
    this.index = clamped;
    this.show();
  }

  onKey(event) {
    if (event.target === this.range || event.altKey || event.ctrlKey || event.metaKey) return;
    const last = this.model ? this.model.turns.length - 1 : 0;
    const target = { ArrowLeft: this.index - 1, ArrowRight: this.index + 1, Home: 0, End: last }[event.key];
    if (target === undefined) return;
    event.preventDefault();
    this.move(target);
  }

  // Showing ---------------------------------------------------------------------

  show() {
    const snapshot = snapshotAt(this.model, this.index);
    if (!snapshot) return;
    this.shownIndex = this.index;
    const { index, count, time, turn } = snapshot;
    const unit = unitOf(this.model);
    const where = `Turn ${index + 1} of ${count} at ${at(time, unit)}`;
    this.range.value = String(index + 1);
    this.range.setAttribute("aria-valuetext", where);
    setDisabled(this.previous, index === 0);
    setDisabled(this.next, index === count - 1);
    this.position.textContent = where;
    this.turn.textContent = turnText(turn, unit);
    this.blocked.textContent = snapshot.blocked.map((span) => blockSentence(this.model, span)).join(" ");

    this.ready.list.replaceChildren(
      ...(turn.ready.length
        ? turn.ready.map((label) => h("li", {}, label))
        : [h("li", { class: "inspector-empty" }, "empty: nothing to run yet")]),
    );
    this.timers.list.replaceChildren(
      ...(snapshot.timers.length
        ? snapshot.timers.map((timer) =>
            h(
              "li",
              {},
              h("span", { class: "inspector-when" }, `${dueText(timer.in, unit)} (at ${at(timer.due, unit)})`),
              ": ",
              timer.wakes,
            ),
          )
        : [h("li", { class: "inspector-empty" }, "none")]),
    );
    this.tasks.list.replaceChildren(
      ...snapshot.tasks.map((entry) =>
        h(
          "li",
          { "data-task": String(entry.task.id), "data-state": entry.state },
          h("span", { class: "inspector-name" }, entry.task.name),
          entry.task.coroutine && entry.task.coroutine !== entry.task.name
            ? h("span", { class: "inspector-coroutine" }, ` ${entry.task.coroutine}()`)
            : null,
          " ",
          h("span", { class: "inspector-state" }, stateText(entry)),
          entry.line === null ? null : h("span", { class: "inspector-where" }, ` at line ${entry.line}`),
        ),
      ),
    );
    this.live.textContent = announcement(this.model, snapshot);
    this.onShow(this.run, snapshot, markedLines(this.model, snapshot));
  }
}

function inspectable(run) {
  return !run.isActive && run.trace.size > 0 && run.trace.model.turns.length > 0;
}

function dueText(seconds, unit) {
  if (seconds < -0.0005) return `overdue by ${at(-seconds, unit)}`;
  return `in ${at(Math.max(0, seconds), unit)}`;
}

function setDisabled(button, disabled) {
  // As the widget's buttons: still focusable, so the arrow keys keep working on them.
  if (disabled) button.setAttribute("aria-disabled", "true");
  else button.removeAttribute("aria-disabled");
}
