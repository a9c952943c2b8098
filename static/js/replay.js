/* The replay of a shared run: the messages the page received while the run
 * went on (stored on the server, handed over in <script id="replay-data"
 * type="application/json">), fed again to the code that drew the live run —
 * Run, Timeline, RunTable, DemoConsole, SourceView, Inspector — at real speed
 * or one event at a time. Nothing runs on the server.
 *
 * Play and Pause follow the server's clock: an event shows when its time
 * comes. Previous and Next event step through them one by one; a step back
 * replays from the start up to there, which for a few thousand events is
 * instant. Once the replay reaches the end, a traced run can be inspected
 * turn by turn, as on a lesson.
 *
 * For automated browser tests the player carries data-position (events shown)
 * and data-state (paused | playing | ended).
 */

import { DemoConsole } from "./console.js";
import { consoleTime, laneName } from "./demo-specifics.js";
import { h, uniqueId } from "./dom.js";
import { inSentence, seconds } from "./format.js";
import { Inspector } from "./inspector.js";
import { Run, RunStatus } from "./run.js";
import { RunTable } from "./run-table.js";
import { runPanes } from "./run-panes.js";
import { SourceView } from "./source-view.js";
import { Timeline } from "./timeline.js";

const reducedMotion = window.matchMedia("(prefers-reduced-motion: reduce)");
const TRACE_BATCH_MS = 50;

/** A run whose clock is the replay's, not the wall's: it stands still when paused. */
class ReplayRun extends Run {
  constructor(options) {
    super(options);
    this.replayTime = 0;
  }

  now() {
    if (this.status === RunStatus.FINISHED && this.elapsed !== null) return this.elapsed;
    return Math.max(this.lastT, this.replayTime);
  }
}

export function mountReplay(article) {
  const slot = article.querySelector("[data-replay-player]");
  const source = document.getElementById("replay-data");
  if (!slot || !source) return null;
  let data;
  try {
    data = JSON.parse(source.textContent);
  } catch {
    return null; // the page still reads without the replay
  }
  const player = new ReplayPlayer(slot, data);
  // The code, with the inspector's marks, takes the place of the plain listing.
  const listing = article.querySelector(".replay-code pre");
  if (listing) listing.replaceWith(player.source.element);
  return player;
}

export class ReplayPlayer {
  constructor(slot, data) {
    this.slot = slot;
    this.data = data;
    this.mode = data.mode;
    this.messages = Array.isArray(data.messages) ? data.messages : [];
    this.end = this.messages.at(-1)?.elapsed ?? 0;
    // When each message shows: the server time it carries (accepted at 0, finished at the end).
    this.times = this.messages.map((message) =>
      typeof message.t === "number" ? message.t : message.type === "finished" ? this.end : 0,
    );
    // Trace records in the order the live page got them: each once it was complete.
    this.trace = Array.isArray(data.trace)
      ? [...data.trace].sort((a, b) => completedAt(a) - completedAt(b))
      : [];
    this.name = data.code ? `your version of ${this.mode}` : this.mode;
    this.names = { [this.mode]: this.mode };
    this.frame = 0;
    this.build();
    this.reset();
    this.seek(1, 0); // accepted: the run's lanes are known, nothing has started
    this.show();
  }

  // Building ---------------------------------------------------------------

  build() {
    const mode = this.mode;
    const consoleLabelId = uniqueId("replay-console");
    this.buttons = {
      play: this.button("play", "Play"),
      restart: this.button("restart", "Restart"),
      previous: this.button("previous", "Previous event"),
      next: this.button("next", "Next event"),
    };
    this.buttons.play.setAttribute("aria-pressed", "false");
    this.buttons.play.addEventListener("click", () => (this.playing ? this.pause() : this.play()));
    this.buttons.restart.addEventListener("click", () => this.restart());
    this.buttons.previous.addEventListener("click", () => this.step(-1));
    this.buttons.next.addEventListener("click", () => this.step(1));
    const controls = h(
      "div",
      { class: "replay-controls", role: "group", "aria-label": "Replay" },
      ...Object.values(this.buttons),
    );
    this.position = h("p", { class: "replay-position", "aria-hidden": "true" });
    // What each step shows, said once: polite, so it never cuts a sentence short.
    this.live = h("p", { class: "visually-hidden replay-live", role: "status", "aria-live": "polite" });

    this.timeline = new Timeline({ modes: [mode], modeLabels: this.names });
    this.table = new RunTable({ modes: [mode], modeLabels: this.names, id: uniqueId("replay-table") });
    this.console = new DemoConsole({
      labelId: consoleLabelId,
      modeLabels: this.names,
      time: consoleTime(this.data.demo) ?? seconds,
    });
    this.console.empty.textContent = "Nothing printed yet. Play the replay to see its output here.";
    this.source = new SourceView({
      modes: [mode],
      catalogModes: { [mode]: { source_html: this.data.source_html || "" } },
      tabLabels: { [mode]: this.data.code ? `Your version (${mode})` : mode },
    });
    this.inspector = new Inspector({
      modes: [mode],
      names: this.names,
      onShow: (run, snapshot, marks) => this.showInspected(run, snapshot, marks),
    });
    this.element = h(
      "div",
      { class: "demo-widget replay-widget", "data-state": "paused" },
      controls,
      this.position,
      this.live,
      h(
        "div",
        { class: "replay-layout" },
        runPanes(this, consoleLabelId),
      ),
    );
    this.slot.replaceChildren(this.element);
  }

  button(action, text) {
    return h("button", { type: "button", class: "demo-button", "data-action": action }, text);
  }

  // The replay's state ---------------------------------------------------------

  /** Back to before the first event. */
  reset() {
    this.run = new ReplayRun({
      id: "replay",
      demo: this.data.demo,
      mode: this.mode,
      params: this.data.params || {},
      guess: null,
      traced: this.trace.length > 0,
      // The reader's code: its lanes are named as they come, as they were live.
      code: this.data.code ? "" : null,
    });
    this.shown = 0; // messages applied
    this.traceShown = 0;
    this.time = 0;
    this.console.clear(this.mode);
  }

  /** Shows messages up to `count` (at least 1, the acceptance) and the clock at `time`. */
  seek(count, time) {
    const target = Math.max(1, Math.min(this.messages.length, count));
    if (target < this.shown) this.reset();
    while (this.shown < target) this.apply(this.messages[this.shown++]);
    this.time = Math.max(time, this.times[target - 1] ?? 0);
    this.run.replayTime = this.time;
    this.showTraceUntil(this.run.status === RunStatus.FINISHED ? Infinity : this.time);
  }

  /** One message, as the lesson's widget shows it. */
  apply(message) {
    const run = this.run;
    const line = run.apply(message);
    const mode = this.mode;
    if (message.type === "output" && line) {
      const who = Number.isInteger(message.task) ? laneName(run.lanes, message.task) : null;
      this.console.output({ mode, task: message.task, t: message.t, who, ...line });
    } else if (message.type === "task_finished" && message.ok === false) {
      const who = laneName(run.lanes, message.task);
      this.console.taskError({ mode, task: message.task, t: message.t, who, error: run.tasks.get(message.task).error });
    } else if (message.type === "finished") {
      const extra = run.outcome === "cancelled" ? " (cancelled)" : run.reason ? ` (${run.reason})` : "";
      this.console.note({ mode, text: `${run.summary}${extra}`, kind: "summary" });
    }
  }

  showTraceUntil(time) {
    let count = this.traceShown;
    while (count < this.trace.length && completedAt(this.trace[count]) <= time) count += 1;
    if (count === this.traceShown) return;
    // While playing, the trace grows in batches, as it came live (about every
    // 50 ms): redrawing it every frame would cost more than it shows.
    const now = performance.now();
    const ended = this.shown >= this.messages.length;
    if (this.playing && !ended && count < this.trace.length && now - (this.traceDrawnAt || 0) < TRACE_BATCH_MS) return;
    this.traceDrawnAt = now;
    this.traceShown = count;
    this.run.trace.replace(this.trace.slice(0, count));
  }

  // Controls ---------------------------------------------------------------------

  play() {
    if (this.shown >= this.messages.length) this.seek(1, 0); // from the top again
    this.playing = true;
    this.stopTicking();
    this.startedAt = performance.now() / 1000 - this.time;
    this.say(`Playing ${inSentence(this.name)} at real speed.`);
    this.tick();
  }

  pause(text = `Paused at ${seconds(this.time)}.`) {
    this.playing = false;
    this.stopTicking();
    this.showTraceUntil(this.time); // the batch it was holding back
    this.say(text);
    this.show();
  }

  restart() {
    const wasPlaying = this.playing;
    this.pause("Back to the start.");
    this.seek(1, 0);
    this.show();
    if (wasPlaying) this.play();
  }

  step(delta) {
    if (this.playing) this.pause();
    const target = this.shown + delta;
    if (target < 1) {
      this.say("This is the start of the run.");
      return;
    }
    if (target > this.messages.length) {
      this.say("This is the end of the run.");
      return;
    }
    this.seek(target, this.times[target - 1]);
    this.show();
    this.say(this.describe(this.messages[target - 1]));
  }

  tick() {
    if (!this.playing) return;
    const time = performance.now() / 1000 - this.startedAt;
    let count = this.shown;
    while (count < this.messages.length && this.times[count] <= time) count += 1;
    this.seek(count, Math.min(time, this.end));
    if (count >= this.messages.length) {
      this.playing = false;
      this.show();
      this.say(`The end: ${this.describe(this.messages.at(-1))}`);
      return;
    }
    this.show();
    // With reduced motion the bars jump from event to event instead of growing.
    const next = reducedMotion.matches ? this.times[count] - time : 0;
    if (next > 0.02) this.timer = window.setTimeout(() => this.tick(), next * 1000);
    else this.frame = window.requestAnimationFrame(() => this.tick());
  }

  stopTicking() {
    window.cancelAnimationFrame(this.frame);
    window.clearTimeout(this.timer);
    this.frame = 0;
    this.timer = 0;
  }

  // Showing ------------------------------------------------------------------------

  show() {
    const runs = { [this.mode]: this.run };
    const ended = this.shown >= this.messages.length;
    this.element.dataset.state = this.playing ? "playing" : ended ? "ended" : "paused";
    this.element.dataset.position = String(this.shown);
    this.buttons.play.textContent = this.playing ? "Pause" : ended ? "Play again" : "Play";
    this.buttons.play.setAttribute("aria-pressed", String(Boolean(this.playing)));
    setDisabled(this.buttons.previous, this.shown <= 1);
    setDisabled(this.buttons.next, ended);
    this.position.textContent = `Event ${this.shown} of ${this.messages.length} · ${seconds(this.time)} of ${seconds(this.end)}`;
    this.timeline.render(runs);
    this.table.render(runs);
    this.inspector.update(runs);
  }

  say(text) {
    this.live.textContent = text;
  }

  /** "0.50 s: task 1 started." */
  describe(message) {
    const run = this.run;
    const who = Number.isInteger(message.task) ? laneName(run.lanes, message.task) : "the program";
    const at = typeof message.t === "number" ? `${seconds(message.t)}: ` : "";
    switch (message.type) {
      case "accepted":
        return "The run is accepted; nothing has started yet.";
      case "task_started":
        return `${at}${who} started.`;
      case "output":
        return `${at}${who} printed “${message.text}”.`;
      case "task_finished":
        return message.ok === false ? `${at}${who} failed: ${message.error || "failed"}.` : `${at}${who} finished.`;
      case "finished":
        return `${run.summary}${run.reason ? ` (${run.reason})` : ""}`;
      default:
        return "";
    }
  }

  showInspected(run, snapshot, marks) {
    this.timeline.setCursor(this.mode, null);
    this.source.clearMarks();
    if (!run) return;
    this.source.mark(this.mode, marks, { smooth: !reducedMotion.matches });
    this.timeline.setCursor(this.mode, snapshot.time);
  }
}

/** When the live page would have had a trace record: a step or a turn once it ended. */
function completedAt(record) {
  const end = typeof record?.end === "number" ? record.end : null;
  return end ?? (typeof record?.t === "number" ? record.t : 0);
}

function setDisabled(button, disabled) {
  // aria-disabled, as the widget's buttons: they keep focus, and a press says why.
  if (disabled) button.setAttribute("aria-disabled", "true");
  else button.removeAttribute("aria-disabled");
}
