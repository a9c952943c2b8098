/* The two panes a run is drawn in, on a lesson's widget and on a shared run's
 * replay alike: its timeline (with its table and inspector) and its console. */

import { h } from "./dom.js";

/** The panes of `widget` (its timeline, table, inspector and console), its console labelled by `consoleLabelId`. */
export function runPanes({ timeline, table, inspector, console: output }, consoleLabelId) {
  return [
    h(
      "div",
      { class: "demo-pane demo-timeline-pane" },
      h("div", { class: "pane-head" }, h("p", { class: "pane-title" }, "Timeline"), table.toggle),
      timeline.element,
      table.wrap,
      inspector.element,
    ),
    h(
      "div",
      { class: "demo-pane demo-console-pane" },
      h("div", { class: "pane-head" }, h("p", { class: "pane-title", id: consoleLabelId }, "Console")),
      output.element,
    ),
  ];
}
