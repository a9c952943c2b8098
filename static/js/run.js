/* One run of one mode, as the reader's page knows it: what the server has
 * said so far, and a clock that follows the server's.
 *
 * Times come from the server (seconds since the run started there). To grow
 * a running bar between two messages the page needs "now" on that clock: each
 * message tells us the run started at least (arrival - t) ago, and the
 * smallest such value is the best estimate, the one least delayed in transit.
 */

import { laneNames, warningOf } from "./demo-specifics.js";
import { Trace } from "./trace.js";

export const RunStatus = Object.freeze({
  SENT: "sent", // asked for, not yet accepted
  QUEUED: "queued", // accepted, waiting for a free slot on the server
  RUNNING: "running",
  FINISHED: "finished", // the server said so: ok, failed or cancelled
  ERROR: "error", // refused by the server
  INTERRUPTED: "interrupted", // the connection dropped while it ran
});

let serial = 0;

export function newRunId(demo, mode) {
  serial += 1;
  const random = new Uint32Array(1);
  crypto.getRandomValues(random); // available on plain http too, unlike randomUUID
  const safeDemo = demo.replace(/[^A-Za-z0-9_-]/g, "").slice(0, 24);
  return `${safeDemo}-${mode}-${serial}-${random[0].toString(36)}`;
}

const nowSeconds = () => performance.now() / 1000;

export class Run {
  /** `code`: the reader's own version of the program, or null for the lesson's (with `params`). */
  constructor({ id, demo, mode, params, guess, traced = false, code = null, sentKey = null }) {
    this.id = id;
    this.demo = demo;
    this.mode = mode;
    this.code = code;
    this.params = params; // replaced by the server's normalized params once accepted
    this.sentKey = sentKey ?? JSON.stringify(params); // what was asked for, to compare runs by
    this.error = null; // the program's exception, from "finished": { type, message, line, traceback }
    this.guess = guess;
    this.status = RunStatus.SENT;
    this.lanes = this.knownLanes();
    this.tasks = new Map(); // index -> { index, start, end, ok, error, outputs: [{ t, text, warning }] }
    this.printed = []; // what the program printed to standard output, in order
    this.queuePosition = null;
    this.elapsed = null;
    this.outcome = null; // the server's finished status: "ok" | "failed" | "cancelled"
    this.summary = "";
    this.reason = "";
    this.errorMessage = "";
    this.cancelRequested = false;
    this.origin = null; // performance.now() seconds at which the run started on the server
    this.lastT = 0;
    this.traced = traced; // the reader asked the server to trace its event loop
    this.trace = new Trace(); // filled by "trace" messages, in batches, before "finished"
    this.trace.setLanes(this.lanes);
  }

  /** A run of the reader's edited program rather than the lesson's. */
  get isEdited() {
    return this.code !== null;
  }

  get isActive() {
    return this.status === RunStatus.SENT || this.status === RunStatus.QUEUED || this.status === RunStatus.RUNNING;
  }

  /** Server seconds since the run started: frozen once it is over. */
  now() {
    if (this.status === RunStatus.FINISHED && this.elapsed !== null) return this.elapsed;
    if (!this.isActive || this.origin === null) return this.lastT;
    return Math.max(this.lastT, nowSeconds() - this.origin);
  }

  /** Applies one server message; returns what the widget may want to show about it. */
  apply(message) {
    if (typeof message.t === "number") this.observe(message.t);
    switch (message.type) {
      case "accepted":
        if (message.params && typeof message.params === "object") this.params = message.params;
        this.lanes = this.knownLanes();
        this.trace.setLanes(this.lanes);
        this.status = RunStatus.RUNNING;
        return null;
      case "queued":
        this.status = RunStatus.QUEUED;
        this.queuePosition = message.position;
        return null;
      case "task_started": {
        this.status = RunStatus.RUNNING;
        const task = this.task(message.task);
        task.start = message.t;
        return null;
      }
      case "output": {
        const text = String(message.text ?? "");
        // What the program wrote to standard error (warnings, its own prints there).
        const stderr = message.stream === "stderr";
        const warning = stderr ? null : warningOf(this.demo, this.params, message.task, text);
        const line = { t: message.t, text, warning, stderr };
        if (Number.isInteger(message.task)) this.task(message.task).outputs.push(line);
        if (!stderr) this.printed.push(text);
        return line;
      }
      case "task_finished": {
        const task = this.task(message.task);
        if (task.start === null) task.start = message.t;
        task.end = message.t;
        task.ok = message.ok !== false;
        task.error = task.ok ? "" : String(message.error || "failed");
        return task;
      }
      case "trace":
        this.trace.add(message.records);
        return null;
      case "finished":
        this.status = RunStatus.FINISHED;
        this.outcome = message.status;
        this.elapsed = Number(message.elapsed) || 0;
        this.summary = String(message.summary || "");
        this.reason = String(message.reason || "");
        this.error = programError(message.error);
        this.lastT = Math.max(this.lastT, this.elapsed);
        // Like the server's record: tasks cut off by a cancel or a crash end with the run.
        this.closeOpenTasks(this.elapsed, this.reason || this.outcome);
        return null;
      case "error":
        this.status = RunStatus.ERROR;
        this.errorMessage = String(message.message || message.code || "error");
        this.closeOpenTasks(this.now(), "stopped");
        return null;
      case "disconnected": {
        const at = this.now();
        this.lastT = at; // its clock stops here: nothing more will come
        this.status = RunStatus.INTERRUPTED;
        this.closeOpenTasks(at, "interrupted: the connection was lost", true);
        return null;
      }
      default:
        return null;
    }
  }

  /**
   * Lane names known before any task starts, from the params. The reader's
   * code may make any tasks in any order: its lanes are named as they come.
   */
  knownLanes() {
    return this.isEdited ? [] : laneNames(this.demo, this.params);
  }

  task(index) {
    let task = this.tasks.get(index);
    if (!task) {
      task = { index, start: null, end: null, ok: null, error: "", interrupted: false, outputs: [] };
      this.tasks.set(index, task);
    }
    return task;
  }

  /** Task indexes to draw: the known lanes, then any others the server reported. */
  laneIndexes() {
    const indexes = new Set(this.lanes.map((_, index) => index));
    for (const index of this.tasks.keys()) indexes.add(index);
    return [...indexes].sort((a, b) => a - b);
  }

  observe(t) {
    const origin = nowSeconds() - t;
    this.origin = this.origin === null ? origin : Math.min(this.origin, origin);
    this.lastT = Math.max(this.lastT, t);
  }

  closeOpenTasks(at, error, interrupted = false) {
    for (const task of this.tasks.values()) {
      if (task.start !== null && task.end === null) {
        task.end = Math.max(task.start, at);
        task.ok = false;
        task.error = error;
        task.interrupted = interrupted;
      }
    }
  }
}

/** The exception a program raised, as "finished" reports it, or null. */
function programError(error) {
  if (!error || typeof error !== "object") return null;
  const whole = (value) => (Number.isInteger(value) && value > 0 ? value : null);
  return {
    type: String(error.type || "Error"),
    message: String(error.message ?? ""),
    line: whole(error.line),
    column: whole(error.column),
    traceback: String(error.traceback || ""),
  };
}
