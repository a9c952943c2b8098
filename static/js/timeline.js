/* The live timeline: one lane per task, a bar from its start to its end.
 *
 * The sync and the async run share one time axis, so their lengths compare at
 * a glance. Positions are in server seconds, handed to CSS as custom
 * properties (--from, --to, --at) and divided there by the axis (--axis):
 * when the axis grows only one property changes, and a growing bar only moves
 * its --to. Nothing here sets a style attribute, which the page's
 * Content-Security-Policy would refuse; style.setProperty is CSSOM and allowed.
 *
 * A traced run (trace.js) draws more: on each task's lane its steps, its
 * waits labelled with what it awaits and its time ready but not running; a
 * lane for the event loop itself (idle, busy, blocked); lanes for traced
 * tasks the run did not report (the task running main). Those are redrawn
 * only when a trace batch arrives, not every frame.
 *
 * This drawing is hidden from assistive technology: the same facts are in the
 * timeline table (run-table.js) and the inspector (inspector.js), which read
 * far better than shapes.
 */

import { h } from "./dom.js";
import { laneName } from "./demo-specifics.js";
import { seconds } from "./format.js";
import { RunStatus } from "./run.js";
import { blockedBy, loopSegments, taskSegments } from "./trace.js";

const TICK_STEPS = [0.001, 0.002, 0.0025, 0.005, 0.01, 0.02, 0.025, 0.05, 0.1, 0.2, 0.25, 0.5, 1, 2, 2.5, 5, 10, 15, 20, 30, 60, 120, 300, 600];
const TICK_SPACING_PX = 44; // room for a label like "1.25" between two ticks

export class Timeline {
  constructor({ modes, modeLabels }) {
    this.modes = modes;
    this.modeLabels = modeLabels;
    this.axis = { max: 0, step: 0 };
    this.maxTicks = 8;
    this.groups = new Map(); // mode -> { run, element, status, lanes: Map(index -> lane) }
    this.ticks = h("div", { class: "tl-ticks" });
    this.body = h("div", { class: "tl-groups" });
    this.empty = h(
      "p",
      { class: "tl-empty" },
      "Run the demo: each task becomes a bar here, from its start to its end.",
    );
    this.element = h(
      "div",
      { class: "timeline", "aria-hidden": "true" },
      this.empty,
      this.body,
      h("div", { class: "tl-axis" }, h("span", { class: "tl-axis-label" }, "seconds"), this.ticks),
      traceLegend(),
    );
    // Fewer ticks on a narrow track, so their labels never run into each other.
    if ("ResizeObserver" in window) {
      new ResizeObserver(([entry]) => {
        const width = entry.contentRect.width;
        if (!width) return;
        const maxTicks = Math.max(3, Math.min(8, Math.floor(width / TICK_SPACING_PX)));
        if (maxTicks !== this.maxTicks) {
          this.maxTicks = maxTicks;
          this.axis = { max: 0, step: 0 }; // redraw the ticks at the next render
          if (this.lastRuns) this.render(this.lastRuns);
        }
      }).observe(this.ticks);
    }
  }

  /** Draws every run in `runs` (mode -> Run or null) as it stands now. */
  render(runs) {
    this.lastRuns = runs;
    const shown = this.modes.map((mode) => runs[mode]).filter(Boolean);
    this.element.classList.toggle("is-empty", shown.length === 0);
    this.element.classList.toggle("has-trace", shown.some((run) => run.trace?.size > 0));
    for (const mode of this.modes) {
      if (!runs[mode]) this.dropGroup(mode);
    }
    this.fitAxis(shown);
    for (const run of shown) this.renderRun(run);
  }

  // Axis -------------------------------------------------------------------

  fitAxis(runs) {
    const latest = Math.max(
      0,
      ...runs.map((run) => run.now()),
      ...runs.flatMap((run) => [...run.tasks.values()].map((task) => task.end ?? 0)),
      ...runs.map((run) => (run.trace?.size ? run.trace.model.until : 0)),
    );
    const active = runs.some((run) => run.isActive);
    // While runs go on, leave headroom and never shrink, so the scale jumps
    // now and then instead of creeping every frame; once all are over, fit.
    // A run over in a few milliseconds (the order demo's) gets an axis that
    // size, not half a second in which its turns would be slivers.
    const wanted = active ? Math.max(latest * 1.25, this.axis.max, 0.5) : Math.max(latest * 1.04, 0.01);
    const axis = niceAxis(wanted, this.maxTicks);
    if (axis.max === this.axis.max && axis.step === this.axis.step) return;
    this.axis = axis;
    this.element.style.setProperty("--axis", String(axis.max));
    this.ticks.replaceChildren();
    const count = Math.round(axis.max / axis.step);
    for (let index = 0; index <= count; index += 1) {
      const value = round(index * axis.step);
      const tick = h("span", { class: "tl-tick" }, h("span", { class: "tl-tick-label" }, trimNumber(value)));
      tick.style.setProperty("--at", String(value));
      this.ticks.append(tick);
    }
  }

  // Groups and lanes ---------------------------------------------------------

  dropGroup(mode) {
    const group = this.groups.get(mode);
    if (group) {
      group.element.remove();
      this.groups.delete(mode);
    }
  }

  groupFor(run) {
    let group = this.groups.get(run.mode);
    if (group && group.run === run) return group;
    this.dropGroup(run.mode);
    const status = h("span", { class: "tl-group-status" });
    // The lanes only a trace brings (tasks the run did not report, the loop) come last.
    const traceLanes = h("div", { class: "tl-trace-lanes" });
    const element = h(
      "div",
      { class: "tl-group", "data-mode": run.mode },
      h(
        "p",
        { class: "tl-group-head" },
        h("span", { class: "tl-swatch" }),
        h("span", { class: "tl-group-name" }, this.modeLabels[run.mode] || run.mode),
        status,
      ),
      traceLanes,
    );
    group = { run, element, status, lanes: new Map(), statusText: "", traceLanes, traceKey: "" };
    this.groups.set(run.mode, group);
    // Groups keep the catalog's order (sync above async) whatever ran first.
    const after = this.modes.slice(this.modes.indexOf(run.mode) + 1);
    const next = after.map((mode) => this.groups.get(mode)?.element).find(Boolean);
    this.body.insertBefore(element, next || null);
    return group;
  }

  laneFor(group, index) {
    let lane = group.lanes.get(index);
    if (lane) return lane;
    const bar = h("span", { class: "tl-bar" });
    const marks = h("span", { class: "tl-marks" });
    const note = h("span", { class: "tl-note" });
    const label = h("span", { class: "tl-lane-label" }, laneName(group.run.lanes, index));
    const track = h("span", { class: "tl-track" }, bar, marks);
    const element = h("div", { class: "tl-lane", "data-task": String(index) }, label, track, note);
    lane = { element, bar, marks, note, label, track, layer: null, drawnMarks: 0, state: "", from: "", to: "" };
    group.lanes.set(index, lane);
    // Lanes in task order, even when a later task reports first.
    const following = [...group.lanes.entries()]
      .filter(([other]) => other > index)
      .sort(([a], [b]) => a - b)
      .map(([, other]) => other.element)[0];
    group.element.insertBefore(element, following || group.traceLanes);
    return lane;
  }

  renderRun(run) {
    const group = this.groupFor(run);
    const now = run.now();
    const text = groupStatus(run, now);
    if (text !== group.statusText) {
      group.status.textContent = text;
      group.statusText = text;
    }
    group.element.dataset.status = run.status;
    for (const index of run.laneIndexes()) {
      const lane = this.laneFor(group, index);
      const label = laneName(run.lanes, index);
      if (lane.label.textContent !== label) lane.label.textContent = label;
      this.renderLane(lane, run.tasks.get(index), now);
    }
    this.renderTrace(group, run);
  }

  // Traces -------------------------------------------------------------------

  /**
   * Draws the run's trace, if it has one: a traced task goes on the lane the
   * run reported it on (its record's `lane`) when there is one, else on a
   * lane of its own, named by the trace; the loop gets the last lane.
   */
  renderTrace(group, run) {
    const trace = run.trace;
    const indexes = run.laneIndexes();
    const key = trace?.size ? `${trace.version}|${indexes.join(",")}` : "";
    if (key === group.traceKey) return;
    group.traceKey = key;
    for (const lane of group.lanes.values()) {
      lane.layer?.replaceChildren();
      lane.element.classList.remove("has-trace");
    }
    if (!key) {
      group.traceLanes.replaceChildren();
      return;
    }
    const model = trace.model;
    const known = new Set(indexes);
    const ownLanes = [];
    for (const task of model.tasks) {
      const segments = [...taskSegments(task, model.until), ...blockedBy(model, task)];
      if (known.has(task.lane)) {
        const lane = this.laneFor(group, task.lane);
        lane.layer ??= lane.track.insertBefore(h("span", { class: "tl-trace" }), lane.marks);
        lane.layer.append(...segments.map(segment));
        lane.element.classList.add("has-trace");
      } else {
        ownLanes.push(traceLane(task.name, segments, { "data-trace-task": String(task.id) }));
      }
    }
    ownLanes.push(traceLane("event loop", loopSegments(model), { "data-lane": "loop" }));
    group.traceLanes.replaceChildren(...ownLanes);
  }

  /** A line across the run's lanes at `time` (server seconds), or none when null. */
  setCursor(mode, time) {
    const group = this.groups.get(mode);
    if (!group) return;
    group.element.classList.toggle("has-cursor", time !== null);
    if (time !== null) group.element.style.setProperty("--cursor", time.toFixed(6));
  }

  renderLane(lane, task, now) {
    if (!task || task.start === null) {
      setState(lane, "waiting");
      return;
    }
    const end = task.end ?? Math.max(task.start, now);
    setPosition(lane, task.start, end);
    const state = task.end === null ? "running" : task.interrupted ? "interrupted" : task.ok ? "ok" : "failed";
    setState(lane, state);
    if (state === "failed" || state === "interrupted") {
      if (lane.note.textContent !== task.error) lane.note.textContent = task.error;
    }
    // Output marks are only ever added, so draw just the new ones.
    for (const output of task.outputs.slice(lane.drawnMarks)) {
      if (output.warning) {
        const blocked = h("span", { class: "tl-blocked" });
        blocked.style.setProperty("--from", String(Math.max(task.start, output.t - output.warning.late)));
        blocked.style.setProperty("--to", String(output.t));
        lane.marks.append(blocked);
      }
      const mark = h("span", { class: output.warning ? "tl-mark is-warning" : "tl-mark" });
      mark.style.setProperty("--at", String(output.t));
      lane.marks.append(mark);
    }
    lane.drawnMarks = task.outputs.length;
  }
}

function traceLane(name, segments, attributes) {
  return h(
    "div",
    { class: "tl-lane has-trace is-trace-only", "data-state": "traced", ...attributes },
    h("span", { class: "tl-lane-label" }, name),
    h("span", { class: "tl-track" }, h("span", { class: "tl-trace" }, segments.map(segment))),
  );
}

/**
 * One stretch of a trace: its kind shows as a pattern, and as words where
 * there is room (`word` is a first word that goes first when room is short).
 */
function segment({ kind, from, to, word, label }) {
  const element = h("span", { class: "tl-seg", "data-kind": kind });
  element.style.setProperty("--from", from.toFixed(6));
  element.style.setProperty("--to", to.toFixed(6));
  if (label) {
    const words = word ? h("span", { class: "tl-seg-word" }, `${word} `) : null;
    element.append(h("span", { class: "tl-seg-label" }, words, label));
  }
  return element;
}

/** What the patterns mean, shown once any run has a trace. */
function traceLegend() {
  const item = (kind, text) =>
    h("span", { class: "tl-legend-item" }, h("span", { class: "tl-seg is-swatch", "data-kind": kind }), text);
  return h(
    "p",
    { class: "tl-legend" },
    item("run", "running"),
    item("ready", "ready, not running"),
    item("wait", "waiting"),
    item("busy", "loop busy"),
    item("idle", "loop idle"),
    item("blocked", "loop blocked"),
  );
}

function setPosition(lane, from, to) {
  const fromText = from.toFixed(3);
  const toText = to.toFixed(3);
  if (lane.from !== fromText) {
    lane.bar.style.setProperty("--from", fromText);
    lane.from = fromText;
  }
  if (lane.to !== toText) {
    lane.bar.style.setProperty("--to", toText);
    lane.to = toText;
  }
}

function setState(lane, state) {
  if (lane.state === state) return;
  lane.state = state;
  lane.element.dataset.state = state;
}

function groupStatus(run, now) {
  switch (run.status) {
    case RunStatus.SENT:
      return "starting…";
    case RunStatus.QUEUED:
      return `waiting for a free slot (position ${run.queuePosition})`;
    case RunStatus.RUNNING:
      return run.cancelRequested ? `cancelling… ${seconds(now)}` : `running… ${seconds(now)}`;
    case RunStatus.FINISHED:
      if (run.outcome === "cancelled") return `cancelled after ${seconds(run.elapsed)}`;
      if (run.outcome === "failed") return `${seconds(run.elapsed)}, with failures`;
      return seconds(run.elapsed);
    case RunStatus.INTERRUPTED:
      return `interrupted at ${seconds(now)}: connection lost`;
    case RunStatus.ERROR:
      return "not run";
    default:
      return "";
  }
}

/** The smallest round axis that holds `value`, with at most `maxTicks` steps. */
export function niceAxis(value, maxTicks = 8) {
  for (const step of TICK_STEPS) {
    const count = Math.ceil(value / step - 1e-9);
    if (count <= maxTicks) return { max: round(count * step), step };
  }
  const step = 1200;
  return { max: Math.ceil(value / step) * step, step };
}

const round = (value) => Math.round(value * 10000) / 10000;

function trimNumber(value) {
  return String(round(value));
}
