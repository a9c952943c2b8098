/* The timeline as a table: the same facts as the bars, in a form that screen
 * readers and keyboard users can walk cell by cell.
 *
 * It is always in the accessibility tree; the "Show as table" button only
 * decides whether sighted readers see it too.
 */

import { h } from "./dom.js";
import { laneName } from "./demo-specifics.js";
import { seconds } from "./format.js";
import { RunStatus } from "./run.js";

const MAX_PRINTED = 3;

export class RunTable {
  constructor({ modes, modeLabels, id }) {
    this.modes = modes;
    this.modeLabels = modeLabels;
    this.body = h("tbody");
    this.table = h(
      "table",
      { class: "run-table" },
      h("caption", {}, "Tasks of the latest runs, with times measured on the server"),
      h(
        "thead",
        {},
        h(
          "tr",
          {},
          ["Run", "Task", "Start", "End", "Duration", "Result"].map((name) =>
            h("th", { scope: "col", class: ["Start", "End", "Duration"].includes(name) ? "num" : null }, name),
          ),
        ),
      ),
      this.body,
    );
    this.wrap = h("div", { class: "run-table-wrap visually-hidden", id }, this.table);
    this.toggle = h(
      "button",
      { type: "button", class: "demo-toggle", "aria-pressed": "false", "aria-controls": id, "data-action": "table" },
      "Show as table",
    );
    this.toggle.addEventListener("click", () => this.setVisible(this.toggle.getAttribute("aria-pressed") !== "true"));
    this.render({});
  }

  setVisible(visible) {
    this.toggle.setAttribute("aria-pressed", String(visible));
    this.wrap.classList.toggle("visually-hidden", !visible);
    // Scrollable on a phone, so focusable when shown; never an invisible tab stop.
    if (visible) this.wrap.tabIndex = 0;
    else this.wrap.removeAttribute("tabindex");
  }

  render(runs) {
    const rows = [];
    for (const mode of this.modes) {
      const run = runs[mode];
      if (!run) continue;
      const indexes = run.laneIndexes();
      if (!indexes.length) {
        rows.push(this.row(run, "–", "–", "–", "–", runWithoutTasks(run)));
      }
      for (const index of indexes) {
        const task = run.tasks.get(index);
        const name = laneName(run.lanes, index);
        if (!task || task.start === null) {
          rows.push(this.row(run, name, "–", "–", "–", run.isActive ? "not started yet" : "did not start"));
          continue;
        }
        const end = task.end === null ? "–" : seconds(task.end);
        const duration = task.end === null ? "running" : seconds(task.end - task.start);
        rows.push(this.row(run, name, seconds(task.start), end, duration, taskResult(task)));
      }
    }
    if (!rows.length) {
      rows.push(h("tr", {}, h("td", { colspan: "6" }, "No run yet.")));
    }
    this.body.replaceChildren(...rows);
  }

  row(run, task, start, end, duration, result) {
    return h(
      "tr",
      { "data-mode": run.mode },
      h("td", {}, this.modeLabels[run.mode] || run.mode),
      h("td", {}, task),
      h("td", { class: "num" }, start),
      h("td", { class: "num" }, end),
      h("td", { class: "num" }, duration),
      h("td", {}, result),
    );
  }
}

function taskResult(task) {
  let result;
  if (task.end === null) result = "running";
  else if (task.ok) result = "ok";
  else result = `failed: ${task.error}`;
  if (task.outputs.length) {
    const lines = task.outputs.slice(-MAX_PRINTED).map((output) => `“${output.text}”`);
    const more = task.outputs.length > MAX_PRINTED ? ` (last ${MAX_PRINTED} of ${task.outputs.length})` : "";
    result += `; printed ${lines.join(", ")}${more}`;
  }
  return result;
}

function runWithoutTasks(run) {
  switch (run.status) {
    case RunStatus.ERROR:
      return `not run: ${run.errorMessage}`;
    case RunStatus.QUEUED:
      return `waiting for a free slot (position ${run.queuePosition})`;
    case RunStatus.INTERRUPTED:
      return "interrupted: the connection was lost";
    case RunStatus.FINISHED:
      return run.outcome === "cancelled" ? "cancelled before any task started" : run.summary;
    default:
      return "starting";
  }
}
