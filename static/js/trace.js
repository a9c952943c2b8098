/* An event-loop trace: the records the server's tracer sends with a traced
 * run, read into what the page draws (timeline.js) and steps through
 * (inspector.js).
 *
 * Records come in batches of `{"type": "trace", "records": [...]}` and not in
 * time order: a step is sent when it ends, a turn when the next one begins.
 * So the model is rebuilt from every record, sorted, whenever a batch adds
 * some, and `version` tells views when to redraw. A record that does not
 * look like the agreed format is skipped, never trusted: a view built on a
 * half-valid trace must still draw something true.
 *
 * Kinds (times are server seconds since the run started):
 *   task_created {task, name, parent, line, lane}
 *   step         {task, ready, start, end, line, awaits, state}
 *   turn         {start, end, select_wait, timeout, woke_by, callbacks, ready, timers}
 *   blocked      {start, end, line, task}
 *   truncated    {limit}
 */

import { seconds } from "./format.js";

const KINDS = new Set(["task_created", "step", "turn", "blocked", "truncated"]);
const ENDINGS = new Set(["waiting", "done", "failed", "cancelled"]);
// A select that returned within this is "no wait" (callbacks were queued).
const NO_WAIT = 0.0005;
// A run shorter than this has its times in milliseconds.
const SHORT_RUN = 0.1;

export class Trace {
  constructor() {
    this.records = [];
    this.lanes = [];
    this.version = 0;
    this.built = null;
  }

  get size() {
    return this.records.length;
  }

  /** Adds one batch; returns how many records were usable. */
  add(records) {
    if (!Array.isArray(records)) return 0;
    let added = 0;
    for (const record of records) {
      if (isRecord(record)) {
        this.records.push(record);
        added += 1;
      }
    }
    if (added) this.changed();
    return added;
  }

  /** Puts `records` in place of everything known: a stored trace, replayed. */
  replace(records) {
    this.records = [];
    this.changed();
    this.add(records);
  }

  /** The run's lane names ("task 0", "paris"): a traced task on a lane goes by its lane's name. */
  setLanes(lanes) {
    if (lanes.length === this.lanes.length && lanes.every((name, index) => name === this.lanes[index])) return;
    this.lanes = [...lanes];
    this.changed();
  }

  changed() {
    this.version += 1;
    this.built = null;
  }

  /** { tasks, turns, blocked, truncated, until }, built once per version. */
  get model() {
    this.built ??= buildModel(this.records, this.lanes);
    return this.built;
  }
}

function isRecord(record) {
  return (
    record !== null &&
    typeof record === "object" &&
    KINDS.has(record.kind) &&
    typeof record.t === "number" &&
    Number.isFinite(record.t)
  );
}

const number = (value, fallback = 0) => (typeof value === "number" && Number.isFinite(value) ? value : fallback);
const integer = (value) => (Number.isInteger(value) ? value : null);
const text = (value) => (typeof value === "string" && value ? value : null);

/**
 * Reads the records into tasks (with their steps), turns and blocked spans,
 * each sorted by time. `lanes` are the run's lane names, by lane index.
 */
export function buildModel(records, lanes = []) {
  const tasks = new Map();
  const turns = [];
  const blocked = [];
  let truncated = null;
  let until = 0;

  const taskOf = (id) => {
    let task = tasks.get(id);
    if (!task) {
      task = { id, name: `task ${id}`, parent: null, line: null, lane: null, created: null, steps: [] };
      tasks.set(id, task);
    }
    return task;
  };

  for (const record of records) {
    until = Math.max(until, record.t);
    switch (record.kind) {
      case "task_created": {
        if (!Number.isInteger(record.task)) break;
        const task = taskOf(record.task);
        task.name = text(record.name) ?? task.name;
        task.parent = integer(record.parent);
        task.line = integer(record.line);
        task.lane = integer(record.lane);
        task.created = record.t;
        break;
      }
      case "step": {
        if (!Number.isInteger(record.task)) break;
        const start = number(record.start, record.t);
        const end = Math.max(start, number(record.end, start));
        until = Math.max(until, end);
        taskOf(record.task).steps.push({
          ready: Math.min(start, number(record.ready, start)),
          start,
          end,
          line: integer(record.line),
          awaits: text(record.awaits),
          state: ENDINGS.has(record.state) ? record.state : "waiting",
        });
        break;
      }
      case "turn": {
        const start = number(record.start, record.t);
        const end = Math.max(start, number(record.end, start));
        until = Math.max(until, end);
        turns.push({
          start,
          end,
          selectWait: Math.min(Math.max(0, number(record.select_wait)), end - start),
          timeout: typeof record.timeout === "number" ? record.timeout : null,
          wokeBy: text(record.woke_by),
          callbacks: Math.max(0, Math.trunc(number(record.callbacks))),
          ready: Array.isArray(record.ready) ? record.ready.map(String) : [],
          timers: Array.isArray(record.timers)
            ? record.timers
                .filter((timer) => timer && typeof timer.due === "number")
                .map((timer) => ({ due: timer.due, wakes: String(timer.wakes ?? "a callback") }))
            : [],
        });
        break;
      }
      case "blocked": {
        const start = number(record.start, record.t);
        const end = Math.max(start, number(record.end, start));
        until = Math.max(until, end);
        blocked.push({ start, end, line: integer(record.line), task: integer(record.task) });
        break;
      }
      case "truncated":
        truncated = { limit: integer(record.limit), t: record.t };
        break;
      default:
        break;
    }
  }

  const byStart = (a, b) => a.start - b.start;
  for (const task of tasks.values()) task.steps.sort(byStart);
  turns.sort(byStart);
  blocked.sort(byStart);
  const sorted = [...tasks.values()].sort((a, b) => a.id - b.id);
  const names = nameTasks(sorted, lanes);
  for (const task of sorted) {
    for (const step of task.steps) {
      const other = AWAITED_TASK.exec(step.awaits ?? "");
      if (other) step.awaits = names.get(Number(other[1])) ?? step.awaits;
    }
  }
  for (const turn of turns) {
    turn.ready = turn.ready.map((label) => callbackText(label, names));
    for (const timer of turn.timers) timer.wakes = callbackText(timer.wakes, names);
  }
  return { tasks: sorted, turns, blocked, truncated, until };
}

/**
 * Gives each task the name readers see, and returns them by task number.
 * A task on one of the run's lanes goes by the lane's name ("task 0"), as
 * on the timeline and in the console; any other by its coroutine's name
 * ("main", "heartbeat"), kept as `coroutine` either way. Two that would
 * share a name are told apart by a number.
 */
function nameTasks(tasks, lanes) {
  for (const task of tasks) {
    task.coroutine = task.name;
    if (task.lane !== null) task.name = lanes[task.lane] ?? `task ${task.lane}`;
  }
  const count = new Map();
  for (const task of tasks) count.set(task.name, (count.get(task.name) ?? 0) + 1);
  const seen = new Map();
  for (const task of tasks) {
    if (count.get(task.name) < 2) continue;
    const number = (seen.get(task.name) ?? 0) + 1;
    seen.set(task.name, number);
    task.name = `${task.name} (${number})`;
  }
  return new Map(tasks.map((task) => [task.id, task.name]));
}

// What asyncio's own callbacks do, for readers who meet them in the ready queue.
const CALLBACKS = {
  "gather._done_callback": "gather._done_callback: gather hears that one of its tasks is done",
  _run_until_complete_cb: "_run_until_complete_cb: the main task is done, so the loop stops",
};
const TASK_LABEL = /^task (\d+) (.+)$/;
const AWAITED_TASK = /^task (\d+)$/;
const CALLABLE = /^[A-Za-z_][\w.]*$/;

/**
 * A ready callback or a timer as readers read it: the tracer's "task 3 step"
 * or "task 3 (sleep 0.25 s)" with the task's own name, a plain callback as a
 * call ("print(…)"), asyncio's own with a word on what it does.
 */
export function callbackText(label, names) {
  const task = TASK_LABEL.exec(label);
  if (task) return `${names.get(Number(task[1])) ?? `task ${task[1]}`} ${task[2]}`;
  if (label === "task step") return "a step of a task the trace does not follow";
  if (label in CALLBACKS) return CALLBACKS[label];
  if (CALLABLE.test(label)) return `${label}(…)`;
  return label;
}

// Timeline ---------------------------------------------------------------------

/**
 * A task's stretches, in time order: "ready" (queued, not yet running),
 * "run" (a step), "wait" (suspended, labelled with what it awaits). A wait
 * with no step after it yet lasts until `until` (the latest known time).
 */
export function taskSegments(task, until) {
  const segments = [];
  task.steps.forEach((step, index) => {
    if (step.start > step.ready) segments.push({ kind: "ready", from: step.ready, to: step.start, label: "ready" });
    segments.push({ kind: "run", from: step.start, to: step.end });
    if (step.state !== "waiting") return;
    const next = task.steps[index + 1];
    const to = next ? next.ready : Math.max(step.end, until);
    if (to > step.end) segments.push({ kind: "wait", from: step.end, to, ...waitWords(step.awaits) });
  });
  return segments;
}

/** "sleep 0.25 s": where room is short, "sleep" goes and the time stays. */
function waitWords(awaits) {
  const sleep = /^(sleep) (.+)$/.exec(awaits ?? "");
  if (sleep) return { word: sleep[1], label: sleep[2] };
  return { label: awaits ?? "waiting" };
}

/** The spans during which `task` held the loop for too long. */
export function blockedBy(model, task) {
  return model.blocked.filter((span) => span.task === task.id).map(blockedSegment);
}

/** "blocked 1.00 s": where room is short, the word goes and the time stays. */
function blockedSegment(span) {
  return { kind: "blocked", from: span.start, to: span.end, word: "blocked", label: seconds(span.end - span.start) };
}

/** The loop's own lane: idle (waiting in select), busy (running callbacks), blocked. */
export function loopSegments(model) {
  const segments = [];
  for (const turn of model.turns) {
    // A select that only polled (callbacks were queued) is part of being busy.
    const woke = waited(turn) ? turn.start + turn.selectWait : turn.start;
    if (woke > turn.start) segments.push({ kind: "idle", from: turn.start, to: woke, label: "idle" });
    if (turn.end > woke) segments.push({ kind: "busy", from: woke, to: turn.end });
  }
  segments.push(...model.blocked.map(blockedSegment));
  return segments;
}

// Inspecting ---------------------------------------------------------------------

/**
 * A time in the trace: "0.250 s", three decimals, as turns are often a
 * fraction of a millisecond apart; in a run over within 0.1 s (the order
 * demo's), where every turn would read "0.000 s", "0.36 ms".
 */
export function at(value, unit = "s") {
  return unit === "ms" ? `${(value * 1000).toFixed(2)} ms` : `${value.toFixed(3)} s`;
}

/** The unit `at` writes a model's times in. */
export function unitOf(model) {
  return model.until < SHORT_RUN ? "ms" : "s";
}

function createdAt(task) {
  return task.created ?? task.steps[0]?.ready ?? Number.POSITIVE_INFINITY;
}

/**
 * Where `task` stands at time `time`, from its steps up to then:
 * { state: running | ready | waiting | done | failed | cancelled | created, awaits, line }.
 * `line` is the shown line it is paused at (waiting, or ready to resume), or null.
 */
export function taskStateAt(task, time) {
  let previous = null;
  for (const step of task.steps) {
    if (time < step.ready) break;
    if (time < step.start) return { state: "ready", awaits: null, line: previous?.line ?? null };
    if (time < step.end) return { state: "running", awaits: null, line: null };
    previous = step;
  }
  if (!previous) return { state: "created", awaits: null, line: null };
  if (previous.state === "waiting") return { state: "waiting", awaits: previous.awaits, line: previous.line };
  return { state: previous.state, awaits: null, line: null };
}

/** "ready", "waiting for sleep 0.25 s", "done"… */
export function stateText({ state, awaits, line }) {
  switch (state) {
    case "waiting":
      return awaits ? `waiting for ${awaits}` : "waiting";
    case "ready":
      return line === null ? "ready to start" : "ready";
    case "created":
      return "not started yet";
    default:
      return state;
  }
}

/**
 * The loop as it stood when turn `index` began (it was about to wait in
 * select): the turn itself, every task created by then with its state, the
 * timers with their due time from then, and the blocked spans in the turn.
 */
export function snapshotAt(model, index) {
  const turn = model.turns[index];
  if (!turn) return null;
  const time = turn.start;
  const tasks = model.tasks
    .filter((task) => createdAt(task) <= time)
    .map((task) => ({ task, ...taskStateAt(task, time) }));
  return {
    index,
    count: model.turns.length,
    time,
    turn,
    tasks,
    timers: turn.timers.map((timer) => ({ ...timer, in: timer.due - time })),
    blocked: model.blocked.filter((span) => span.start < turn.end && span.end > turn.start),
  };
}

/**
 * The lines to highlight in the source, in line order:
 * [{ line, kind: "paused" | "blocked", text: "task 0, task 1 paused here" }].
 * A task ready to run again is still paused at its await: it says so.
 */
export function markedLines(model, snapshot) {
  const byLine = new Map();
  const add = (line, kind, group, name) => {
    if (line === null) return;
    const key = `${kind}:${line}`;
    if (!byLine.has(key)) byLine.set(key, { line, kind, paused: [], ready: [], blocking: [] });
    byLine.get(key)[group].push(name);
  };
  for (const entry of snapshot.tasks) {
    if (entry.state === "waiting") add(entry.line, "paused", "paused", entry.task.name);
    if (entry.state === "ready") add(entry.line, "paused", "ready", entry.task.name);
  }
  for (const span of snapshot.blocked) {
    const task = model.tasks.find((candidate) => candidate.id === span.task);
    add(span.line, "blocked", "blocking", task ? task.name : "a callback");
  }
  return [...byLine.values()]
    .sort((a, b) => a.line - b.line)
    .map(({ line, kind, paused, ready, blocking }) => {
      const parts = [];
      if (blocking.length) parts.push(`${blocking.join(", ")} blocks the loop here`);
      if (paused.length) parts.push(`${paused.join(", ")} paused here`);
      if (ready.length) parts.push(`${ready.join(", ")} ready to go on from here`);
      return { line, kind, text: parts.join("; ") };
    });
}

function waited(turn) {
  return turn.wokeBy !== "ready" && turn.selectWait >= NO_WAIT;
}

/** One sentence about the turn: how long the loop waited, for what, and what it ran. */
export function turnText(turn, unit = "s") {
  const ran = `ran ${turn.callbacks} ${turn.callbacks === 1 ? "callback" : "callbacks"}`;
  if (!waited(turn)) {
    // Nothing queued yet no wait: a timer fell due while the last turn ran (it held the loop).
    if (turn.ready.length || turn.wokeBy === "ready") {
      return `Callbacks were already queued, so the loop did not wait; it ${ran}.`;
    }
    const due = turn.wokeBy === "io" ? "A socket was already ready" : "A timer was already due";
    return `${due}, so the loop did not wait; it ${ran}.`;
  }
  const why = { timer: "for the next timer", io: "until a socket was ready" }[turn.wokeBy] ?? "";
  return `The loop waited ${at(turn.selectWait, unit)} ${why}`.trimEnd() + `, then ${ran}.`;
}

/** "In this turn, task 0 blocks the loop for 1.00 s at line 5." */
export function blockSentence(model, span) {
  const task = model.tasks.find((candidate) => candidate.id === span.task);
  const who = task ? task.name : "a callback";
  const where = span.line === null ? "" : ` at line ${span.line}`;
  return `In this turn, ${who} blocks the loop for ${seconds(span.end - span.start)}${where}.`;
}

/** What a screen reader hears at each step: "Turn 3 of 12 at 0.250 s: task 1 ready, …". */
export function announcement(model, snapshot) {
  const head = `Turn ${snapshot.index + 1} of ${snapshot.count} at ${at(snapshot.time, unitOf(model))}`;
  const tasks = snapshot.tasks.map((entry) => `${entry.task.name} ${stateText(entry)}`);
  const summary = tasks.length ? `${head}: ${tasks.join(", ")}.` : `${head}.`;
  return [summary, ...snapshot.blocked.map((span) => blockSentence(model, span))].join(" ");
}
