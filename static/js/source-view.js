/* The code each mode runs, highlighted, as tabs: sync and async side by side
 * in the reader's mind, one at a time on the screen.
 *
 * Follows the ARIA tabs pattern: arrow keys, Home and End move between tabs,
 * which activate as they get focus; Tab moves on into the code.
 *
 * The inspector marks lines in it (mark()): where each task is paused, which
 * line blocks the loop. A mark is a highlight and a few words on the line, so
 * it reads without colour and to a screen reader reading the code.
 */

import { focusableWhileScrolling, h, uniqueId } from "./dom.js";

export class SourceView {
  constructor({ modes, catalogModes, tabLabels }) {
    this.modes = modes;
    this.tabs = new Map();
    this.panels = new Map();
    this.lines = new Map(); // mode -> the line elements, line 1 first
    this.pres = new Map();
    this.marked = [];
    const list = h("div", { class: "source-tabs", role: "tablist", "aria-label": "Source code" });
    const panels = [];
    for (const mode of modes) {
      const tabId = uniqueId("source-tab");
      const panelId = uniqueId("source-panel");
      const tab = h(
        "button",
        { type: "button", role: "tab", id: tabId, "aria-controls": panelId, "data-mode": mode, class: "source-tab" },
        tabLabels[mode],
      );
      const lines = codeLines(catalogModes[mode].source_html);
      const code = h("code", { class: "language-python" }, lines);
      const pre = h("pre", { class: "highlight source-code" }, code);
      this.lines.set(mode, lines);
      this.pres.set(mode, pre);
      focusableWhileScrolling(pre);
      const panel = h("div", { role: "tabpanel", id: panelId, "aria-labelledby": tabId, class: "source-panel" }, pre);
      tab.addEventListener("click", () => this.select(mode));
      tab.addEventListener("keydown", (event) => this.onKey(event, mode));
      list.append(tab);
      panels.push(panel);
      this.tabs.set(mode, tab);
      this.panels.set(mode, panel);
    }
    this.element = h("div", { class: "source-view" }, list, ...panels);
    this.select(modes[0]);
  }

  /** The read-only listing of `mode`, for an editor to take its place. */
  listing(mode) {
    return this.pres.get(mode);
  }

  select(mode, { focus = false } = {}) {
    for (const [name, tab] of this.tabs) {
      const selected = name === mode;
      tab.setAttribute("aria-selected", String(selected));
      tab.tabIndex = selected ? 0 : -1;
      this.panels.get(name).hidden = !selected;
    }
    if (focus) this.tabs.get(mode).focus();
  }

  /**
   * Marks lines of `mode`'s code, in place of any marked before:
   * `marks` is [{ line (from 1), kind ("paused" | "blocked"), text }].
   * The first mark is scrolled into view inside the code box, never the page.
   */
  mark(mode, marks, { smooth = false } = {}) {
    this.clearMarks();
    const lines = this.lines.get(mode) || [];
    for (const { line, kind, text } of marks) {
      const element = lines[line - 1];
      if (!element) continue;
      element.classList.add("is-marked");
      element.dataset.mark = kind;
      element.append(h("span", { class: "code-mark" }, h("span", { "aria-hidden": "true" }, "◀ "), text));
      this.marked.push(element);
    }
    const first = this.marked[0];
    const pre = this.pres.get(mode);
    if (!first || !pre || pre.scrollHeight <= pre.clientHeight) return;
    const offset = first.getBoundingClientRect().top - pre.getBoundingClientRect().top;
    if (offset < 0 || offset > pre.clientHeight - first.offsetHeight) {
      pre.scrollTo({ top: pre.scrollTop + offset - pre.clientHeight / 3, behavior: smooth ? "smooth" : "instant" });
    }
  }

  clearMarks() {
    for (const element of this.marked) {
      element.classList.remove("is-marked");
      delete element.dataset.mark;
      element.querySelector(".code-mark")?.remove();
    }
    this.marked = [];
  }

  onKey(event, mode) {
    const index = this.modes.indexOf(mode);
    const last = this.modes.length - 1;
    const target = {
      ArrowRight: index === last ? 0 : index + 1,
      ArrowLeft: index === 0 ? last : index - 1,
      Home: 0,
      End: last,
    }[event.key];
    if (target === undefined) return;
    event.preventDefault();
    this.select(this.modes[target], { focus: true });
  }
}

/**
 * The highlighted source split into one element per line, each knowing its
 * indentation (--indent, in characters). The code pane is narrow beside the
 * output, so long lines wrap; CSS then hangs the wrapped part deeper than the
 * line's own indentation, so that Python's indentation still reads true.
 *
 * `html` is Pygments' output from our own catalog: escaped text and flat
 * <span class="…"> tokens only. Parsed in an inert <template>, nothing runs.
 */
export function codeLines(html) {
  const template = document.createElement("template");
  template.innerHTML = html;
  const lines = [[]];
  for (const node of template.content.childNodes) {
    const pieces = node.textContent.split("\n");
    pieces.forEach((piece, index) => {
      if (index > 0) lines.push([]);
      if (!piece) return;
      if (node.nodeType === Node.ELEMENT_NODE) {
        const token = node.cloneNode(false);
        token.textContent = piece;
        lines.at(-1).push(token);
      } else {
        lines.at(-1).push(document.createTextNode(piece));
      }
    });
  }
  if (!lines.at(-1).length) lines.pop(); // the source ends with a newline
  return lines.map((tokens) => {
    const line = h("span", { class: "code-line" }, tokens);
    const indent = /^ */.exec(line.textContent)[0].length;
    if (indent) line.style.setProperty("--indent", String(indent));
    return line;
  });
}
