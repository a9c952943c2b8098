/* The widget's console: what the demo printed, line by line, as it arrives.
 *
 * A live region (role="log", polite) so that screen readers read new lines
 * without being interrupted; each line starts with the server time at which
 * it was printed, like "[0.20 s] task 0: Hello".
 */

import { h } from "./dom.js";
import { seconds } from "./format.js";

const MAX_LINES = 400; // a long run must not grow the page without end

export class DemoConsole {
  /** `time(t)` writes a line's server time: "0.25 s" unless the demo says otherwise. */
  constructor({ labelId, modeLabels, time = seconds }) {
    this.time = time;
    this.modeLabels = modeLabels;
    this.list = h("ol", { class: "console-lines" });
    this.empty = h("p", { class: "console-empty" }, "Nothing printed yet. Run the demo to see its output here.");
    this.log = h(
      "div",
      { class: "console-log", role: "log", "aria-live": "polite", "aria-labelledby": labelId, tabindex: "0" },
      this.empty,
      this.list,
    );
    this.element = this.log;
  }

  /** Forgets the lines of one mode, when that mode runs again. */
  clear(mode) {
    for (const line of this.list.querySelectorAll(`li[data-mode="${mode}"]`)) line.remove();
    this.refreshEmpty();
  }

  /**
   * A line the demo printed; `who` names its task (or null for the program
   * itself). `stderr`: it went to standard error, and says so in words.
   */
  output({ mode, task, t, who, text, warning, stderr = false }) {
    const line = this.line(mode, t, task, stderr ? "stderr" : warning ? "warning" : "output");
    if (warning) line.append(h("span", { class: "console-flag", "aria-hidden": "true" }, "⚠ "));
    if (stderr) line.append(h("span", { class: "console-stream" }, "stderr:"), " ");
    if (who) line.append(h("span", { class: "console-who" }, `${who}:`), " ");
    line.append(h("span", { class: "console-text" }, text));
    this.add(line);
  }

  /** A task that ended with an error: its lane's name and the server's explanation. */
  taskError({ mode, task, t, who, error }) {
    const line = this.line(mode, t, task, "error");
    line.append(
      h("span", { class: "console-who" }, `${who}`),
      " failed: ",
      h("span", { class: "console-text" }, error),
    );
    this.add(line);
  }

  /** A Python traceback, kept as the interpreter wrote it: monospace, line by line. */
  traceback({ mode, text }) {
    const line = this.line(mode, null, null, "traceback");
    line.append(h("pre", { class: "console-traceback" }, text));
    this.add(line);
  }

  /** Lines about the run itself (started, the summary, cancelled…). */
  note({ mode, t = null, text, kind = "note" }) {
    const line = this.line(mode, t, null, kind);
    line.append(h("span", { class: "console-text" }, text));
    this.add(line);
  }

  line(mode, t, task, kind) {
    const attributes = { class: `console-line is-${kind}`, "data-mode": mode, "data-kind": kind };
    // Lines printed by (or about) a task carry its index, for tests and styling.
    if (!["note", "summary", "traceback"].includes(kind)) {
      attributes["data-task"] = Number.isInteger(task) ? String(task) : "";
    }
    const line = h("li", attributes, h("span", { class: "console-mode" }, this.modeLabels[mode] || mode), " ");
    if (t !== null && t !== undefined) line.append(h("span", { class: "console-time" }, `[${this.time(t)}]`), " ");
    return line;
  }

  add(line) {
    // Keep the newest line in view unless the reader scrolled up to read.
    const followTail = this.log.scrollHeight - this.log.scrollTop - this.log.clientHeight < 48;
    this.list.append(line);
    while (this.list.childElementCount > MAX_LINES) this.list.firstElementChild.remove();
    this.refreshEmpty();
    if (followTail) this.log.scrollTop = this.log.scrollHeight;
  }

  refreshEmpty() {
    this.empty.hidden = this.list.childElementCount > 0;
  }
}
