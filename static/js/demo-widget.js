/* One live demo on a lesson page: the form, the buttons, and everything a run
 * shows while it goes (console, timeline, table, totals), beside its code.
 *
 * The widget keeps the latest run of each mode, so a sync run and an async
 * run, raced or run one after the other, are drawn on one time axis. It talks
 * to the server only through the page's shared socket.
 *
 * With "Trace the event loop" ticked, runs of the modes the catalog calls
 * traceable (those with an event loop) ask the server for a trace of it: the
 * timeline draws it as it streams, and once the run is over the inspector
 * steps through its turns. showTrace() puts a recorded trace in place of a
 * run's, for replays.
 *
 * Each variant's listing can be edited (program-editor.js): "Run my version"
 * sends the reader's code instead of parameters and streams like any run;
 * the program's exception, if any, is shown in the console and on its line.
 *
 * A finished run can be shared ("Share this run"): the server keeps it and
 * answers with the address of its replay, shown with a Copy button
 * (share.js). A link from a shared run's page ("Run it again live") sets the
 * widget up as that run was: its mode and parameters, or the reader's program
 * in the editor (linkedRun).
 *
 * A finished run is announced with a "demo:finished" event on the root
 * ({ detail: { demo, mode, edited, outcome } }), for the reader's progress.
 *
 * For automated browser tests the root carries data-state
 * (idle | running | done | error), each mode's result element carries
 * data-elapsed once finished, buttons carry data-action, console lines are
 * <li data-task>.
 */

import { DemoConsole } from "./console.js";
import { DemoForm } from "./demo-form.js";
import { comparesSpeed, consoleTime, laneName } from "./demo-specifics.js";
import { Status } from "./demo-socket.js";
import { h, uniqueId } from "./dom.js";
import { hashText } from "./drafts.js";
import { ShareBox } from "./share.js";
import { guessText, inSentence, ratio, seconds } from "./format.js";
import { Inspector } from "./inspector.js";
import { ProgramEditor } from "./program-editor.js";
import { currentOrder, makeOrderable, markAgainst, orderableItem } from "./orderable.js";
import { newRunId, Run, RunStatus } from "./run.js";
import { RunTable } from "./run-table.js";
import { runPanes } from "./run-panes.js";
import { SourceView } from "./source-view.js";
import { Timeline } from "./timeline.js";

const MODES = ["sync", "async"];
const AGAIN_MESSAGE_MS = 4000;
const reducedMotion = window.matchMedia("(prefers-reduced-motion: reduce)");

export class DemoWidget {
  constructor(root, { demo, entry, socket, linked = null }) {
    this.root = root;
    this.linked = linked;
    this.demo = demo;
    this.entry = entry;
    this.socket = socket;
    this.runs = { sync: null, async: null };
    this.batch = []; // the runs started since the widget was last idle
    this.frame = 0;
    this.connection = Status.CONNECTING;
    this.wasOffline = false;
    this.labels = Object.fromEntries(MODES.map((mode) => [mode, entry.modes[mode].label]));
    this.names = Object.fromEntries(MODES.map((mode) => [mode, shortName(this.labels[mode], mode)]));
    this.traceable = MODES.filter((mode) => canTrace(entry.modes[mode]));
    this.build({ ...initialParams(root, entry.params), ...(linked?.params || {}) });
    socket.onStatus((status) => this.onConnection(status));
    reducedMotion.addEventListener("change", () => this.update());
  }

  // Building ---------------------------------------------------------------

  build(initial) {
    const root = this.root;
    const titleId = uniqueId("demo-title");
    const consoleLabelId = uniqueId("demo-console");
    root.querySelector(".demo-fallback")?.remove();
    root.classList.add("demo-widget");
    root.setAttribute("role", "region");
    root.setAttribute("aria-labelledby", titleId);
    root.dataset.state = "idle";

    const heading = h(`h${headingLevel(root)}`, { class: "demo-title", id: titleId }, this.entry.title);
    const header = h(
      "div",
      { class: "demo-header" },
      h(
        "p",
        { class: "demo-kicker" },
        h("span", { class: "demo-live-dot", "aria-hidden": "true" }),
        "Live demo · runs on the server",
      ),
      heading,
      this.entry.description ? h("p", { class: "demo-description" }, this.entry.description) : null,
    );

    this.form = new DemoForm({
      params: this.entry.params,
      initial,
      options: this.traceOption(),
      modeNames: this.names,
    });
    this.buttons = {
      "run-sync": this.button("run-sync", this.labels.sync, "submit", "button-run is-sync"),
      "run-async": this.button("run-async", this.labels.async, "submit", "button-run is-async"),
      race: this.button("race", "Race both", "submit", "button-race"),
      cancel: this.button("cancel", "Cancel", "button", "button-cancel"),
    };
    this.buttons.cancel.setAttribute("aria-disabled", "true");
    this.form.actions.append(...Object.values(this.buttons));
    this.form.element.addEventListener("submit", (event) => {
      event.preventDefault();
      // Enter in a field submits with the first button: run sync.
      this.act(event.submitter?.dataset.action || "run-sync");
    });
    this.buttons.cancel.addEventListener("click", () => this.act("cancel"));

    this.connectionNote = h("p", { class: "demo-connection", role: "status" });
    this.status = h("p", { class: "demo-status", role: "status" });
    // The end of a run is already on screen in the results; screen readers
    // still need to hear it, so it goes to a hidden live region.
    this.announcer = h("p", { class: "visually-hidden", role: "status" });

    this.results = Object.fromEntries(
      MODES.map((mode) => {
        const summary = h("span", { class: "result-summary" }, "Not run yet.");
        const guess = h("span", { class: "result-guess" });
        const why = h("span", { class: "result-why" });
        const element = h(
          "p",
          { class: "demo-result", "data-mode": mode, "data-status": "none" },
          h(
            "span",
            { class: "result-name" },
            h("span", { class: "tl-swatch", "aria-hidden": "true" }),
            `${this.names[mode]}:`,
          ),
          " ",
          summary,
          " ",
          guess,
          " ",
          why,
        );
        return [mode, { element, summary, guess, why }];
      }),
    );
    this.speedup = h("p", { class: "demo-speedup", hidden: true });
    this.shares = Object.fromEntries(
      MODES.map((mode) => [mode, new ShareBox({ mode, name: this.names[mode], onShare: () => this.share(mode) })]),
    );

    this.timeline = new Timeline({ modes: MODES, modeLabels: this.names });
    this.table = new RunTable({ modes: MODES, modeLabels: this.names, id: uniqueId("demo-table") });
    this.console = new DemoConsole({
      labelId: consoleLabelId,
      modeLabels: this.names,
      time: consoleTime(this.demo) ?? seconds,
    });
    // For a program whose lines always come in the same order: the reader may
    // put them in the order they expect before a run, and see how it went after.
    this.predictions = Object.fromEntries(
      MODES.filter((mode) => this.entry.modes[mode].first_lines?.length)
        .map((mode) => [mode, this.makePrediction(mode, this.entry.modes[mode].first_lines)]),
    );
    this.source = new SourceView({
      modes: MODES,
      catalogModes: this.entry.modes,
      tabLabels: this.names,
    });
    this.editors = Object.fromEntries(
      MODES.map((mode) => {
        const editor = new ProgramEditor({
          demo: this.demo,
          mode,
          name: this.names[mode],
          listing: this.entry.modes[mode].source,
          hasParams: this.entry.params.length > 0,
          onRun: (code) => this.runEdited(mode, code),
        });
        editor.mount(this.source.listing(mode));
        return [mode, editor];
      }),
    );
    this.inspector = new Inspector({
      modes: MODES,
      names: this.names,
      onShow: (run, snapshot, marks) => this.showInspected(run, snapshot, marks),
    });

    const output = h(
      "div",
      { class: "demo-output" },
      this.connectionNote,
      this.status,
      this.announcer,
      h(
        "div",
        { class: "demo-results" },
        Object.values(this.results).map((result) => result.element),
        this.speedup,
        Object.values(this.shares).map((share) => share.element),
      ),
      runPanes(this, consoleLabelId),
    );
    const code = h(
      "div",
      { class: "demo-code" },
      h("div", { class: "pane-head" }, h("p", { class: "pane-title" }, "The code that runs")),
      this.source.element,
    );
    root.replaceChildren(
      header,
      h(
        "div",
        { class: "demo-layout" },
        h("div", { class: "demo-controls" }, this.form.element, ...Object.values(this.predictions).map((p) => p.element)),
        output,
        code,
      ),
    );
    this.update();
    this.reopenDrafts();
    if (this.linked) this.takeLink(this.linked);
  }

  /** Set up as the shared run was, from its page's "run it again" link. */
  takeLink({ mode, shared }) {
    if (!MODES.includes(mode)) return;
    this.source.select(mode);
    this.root.scrollIntoView({ block: "start" });
    if (!shared) {
      this.say(`Set up as in the shared run: press “${this.labels[mode]}” to run it live.`);
      return;
    }
    fetch(`/runs/${encodeURIComponent(shared)}/program.json`, { headers: { Accept: "application/json" } })
      .then((response) => (response.ok ? response.json() : null))
      .then((program) => {
        if (!program || program.demo !== this.demo || program.mode !== mode) {
          this.say("The shared program could not be found; here is the lesson’s version.");
          return;
        }
        this.editors[mode].load(program.code);
        this.say("The shared program is in the editor: press “Run my version” to run it live.");
      })
      .catch(() => this.say("The shared program could not be loaded; here is the lesson’s version."));
  }

  /** A reader who left with edited versions finds them in the editor again. */
  reopenDrafts() {
    const drafted = MODES.filter((mode) => this.editors[mode].hasDraft);
    for (const mode of drafted) this.editors[mode].open();
    if (drafted.length) this.source.select(drafted[0]);
  }

  /** The "Trace the event loop" box, for demos with a mode that runs on an event loop. */
  traceOption() {
    if (!this.traceable.length) return [];
    const which = this.traceable.map((mode) => inSentence(this.names[mode])).join(" and ");
    return [
      {
        name: "trace",
        label: "Trace the event loop",
        hint: `Records every turn of the event loop in ${which} runs; then Inspect steps through them.`,
      },
    ];
  }

  button(action, text, type, className) {
    return h("button", { type, class: `demo-button ${className}`, "data-action": action }, text);
  }

  // Actions ----------------------------------------------------------------

  act(action) {
    const button = this.buttons[action];
    if (button?.getAttribute("aria-disabled") === "true") {
      this.say(whyDisabled(action, this));
      return;
    }
    if (action === "cancel") this.cancel();
    else if (action === "race") this.start(MODES);
    else if (action === "run-sync") this.start(["sync"]);
    else if (action === "run-async") this.start(["async"]);
  }

  /** "Run my version" in `mode`'s editor. */
  runEdited(mode, code) {
    const editor = this.editors[mode];
    if (editor.runButton.getAttribute("aria-disabled") === "true") {
      const why = whyDisabled("run-edited", this);
      editor.say(why);
      this.say(why);
      return;
    }
    this.start([mode], { code });
  }

  /**
   * Shows a run started elsewhere (a teacher's, in a classroom room) as it
   * streams, from its "accepted" message; returns the handler for its later
   * messages. Nothing is sent: the run happens once, on the teacher's page.
   */
  showFollowedRun(accepted) {
    const mode = accepted.mode === "sync" ? "sync" : "async";
    const run = new Run({
      id: accepted.id,
      demo: this.demo,
      mode,
      params: accepted.params ?? {},
      guess: null,
      code: accepted.code ? "" : null,
    });
    run.followed = true;
    this.runs[mode] = run;
    this.console.clear(mode);
    this.batch = [...this.batch.filter((other) => other.isActive), run];
    this.source.select(mode);
    this.say(`Your teacher is running ${this.names[mode]}…`);
    const handle = (message) => this.onMessage(run, message);
    handle(accepted);
    return handle;
  }

  /** Runs the lesson's version of `modes` with the form's parameters, or the reader's `code` of one mode. */
  start(modes, { code = null } = {}) {
    const edited = code !== null;
    const values = edited ? { params: {}, guesses: {}, options: this.form.readOptions() } : this.form.read();
    if (!values) {
      this.say("Nothing was sent: fix the highlighted value first.");
      return;
    }
    if (!this.socket.isOpen) {
      this.say("Not connected to the server, so nothing was sent. Reconnecting…");
      if (edited) this.editors[modes[0]].say("Not connected to the server, so nothing was sent. Reconnecting…");
      return;
    }
    const key = edited ? `code:${hashText(code)}` : JSON.stringify(values.params);
    for (const mode of MODES) {
      const other = this.runs[mode];
      // Two runs compare only with the same parameters: forget an older run
      // of the other mode that used different ones.
      if (!modes.includes(mode) && other && !other.isActive && other.sentKey !== key) {
        this.runs[mode] = null;
      }
    }
    const runs = modes.map(
      (mode) =>
        new Run({
          id: newRunId(this.demo, mode),
          demo: this.demo,
          mode,
          params: values.params,
          guess: values.guesses[mode] ?? null,
          // The reader's code may make an event loop in either variant: the server traces its first.
          traced: Boolean(values.options.trace) && (edited || this.traceable.includes(mode)),
          code,
          sentKey: key,
        }),
    );
    for (const run of runs) {
      this.runs[run.mode] = run;
      this.console.clear(run.mode);
      const frame = { type: "run", id: run.id, demo: this.demo, mode: run.mode };
      // The reader's code carries its own constants: the protocol takes no params with it.
      if (edited) {
        frame.code = code;
        this.editors[run.mode].clearError();
        this.editors[run.mode].say("");
        this.console.note({ mode: run.mode, text: "Running your version." });
      } else {
        frame.params = values.params;
      }
      run.unfollow = this.socket.follow(run.id, (message) => this.onMessage(run, message));
      if (run.traced) frame.trace = true;
      const sent = this.socket.send(frame);
      if (!sent) this.onMessage(run, { type: "disconnected" });
    }
    // The widget's state (done or error) speaks for every run since it was last idle.
    const stillGoing = this.batch.filter((run) => run.isActive);
    this.batch = [...stillGoing, ...runs];
    if (modes.length === 1) this.source.select(modes[0]);
    const which = edited ? `your version of ${this.names[modes[0]]}` : this.names[modes[0]];
    this.say(modes.length === 2 ? "Racing both versions…" : `Running ${which}…`);
    this.update();
  }

  /** Asks the server to keep the latest run of `mode` and give the address of its replay. */
  share(mode) {
    const run = this.runs[mode];
    const box = this.shares[mode];
    if (!run || !shareable(run)) return;
    if (!this.socket.isOpen) {
      box.fail("Not connected to the server, so the run cannot be shared now. Reconnecting…");
      return;
    }
    box.waiting();
    const unfollow = this.socket.follow(run.id, (message) => {
      if (message.type === "shared") {
        unfollow();
        box.show(new URL(message.url, window.location.href).href);
      } else if (message.type === "error") {
        unfollow();
        box.fail(shareRefusal(message));
      } else if (message.type === "disconnected") {
        box.fail("The connection to the server was lost, and with it this run’s place: run it again to share it.");
      }
    });
    const frame = { type: "share", id: run.id };
    const lesson = Number(this.root.closest("article.lesson")?.dataset.lessonId);
    if (Number.isInteger(lesson) && lesson > 0) frame.lesson = lesson;
    if (!this.socket.send(frame)) {
      unfollow();
      box.fail("Not connected to the server, so the run cannot be shared now. Reconnecting…");
    }
  }

  cancel() {
    const active = MODES.map((mode) => this.runs[mode]).filter((run) => run?.isActive);
    if (!active.length) return;
    for (const run of active) {
      run.cancelRequested = true;
      this.socket.send({ type: "cancel", id: run.id });
    }
    // A thread cannot be stopped inside time.sleep: say why it takes a moment.
    const syncGoing = active.some((run) => run.mode === "sync");
    this.say(syncGoing ? "Cancelling… (a sync run stops after its current task)" : "Cancelling…");
    this.update();
  }

  // Server messages ------------------------------------------------------------

  onMessage(run, message) {
    const line = run.apply(message);
    const current = this.runs[run.mode] === run;
    const mode = run.mode;
    switch (message.type) {
      case "queued":
        if (current)
          this.say(`${this.names[mode]} is waiting for a free slot on the server (position ${message.position}).`);
        break;
      case "task_started":
        // A race already says "Racing both versions…"; a single run says it started.
        if (current && this.batch.length === 1 && run.tasks.size === 1 && !run.cancelRequested) {
          this.say(`${this.names[mode]} is running…`);
        }
        break;
      case "output":
        if (current && line) {
          const who = Number.isInteger(message.task) ? laneName(run.lanes, message.task) : null;
          const { text, warning, stderr } = line;
          this.console.output({ mode, task: message.task, t: message.t, who, text, warning, stderr });
        }
        break;
      case "task_finished":
        if (current && message.ok === false) {
          const task = run.tasks.get(message.task);
          this.console.taskError({
            mode,
            task: message.task,
            t: message.t,
            who: laneName(run.lanes, message.task),
            error: task.error,
          });
        }
        break;
      case "finished":
        run.unfollow?.();
        if (current) {
          if (run.error?.traceback) this.console.traceback({ mode, text: run.error.traceback });
          if (run.error && run.isEdited) this.editors[mode].showError(run.error);
          const extra = run.outcome === "cancelled" ? " (cancelled)" : run.reason ? ` (${run.reason})` : "";
          this.console.note({ mode, text: `${run.summary}${extra}`, kind: "summary" });
          this.announceEnd(run);
          this.judgePrediction(run);
          // For whatever keeps the reader's progress (progress.js).
          this.root.dispatchEvent(
            new CustomEvent("demo:finished", {
              bubbles: true,
              detail: { demo: this.demo, mode, edited: run.isEdited, outcome: run.outcome },
            }),
          );
        }
        break;
      case "error":
        run.unfollow?.();
        if (current) {
          this.console.note({ mode, text: `Not run: ${run.errorMessage}`, kind: "error" });
          if (run.isEdited) this.editors[mode].say(`Not run: ${run.errorMessage}`);
          else if (message.code === "invalid_params") this.form.showServerError(run.errorMessage);
          else this.form.showFormError(`${this.names[mode]} was not run: ${run.errorMessage}`);
          this.say(`${this.names[mode]} was not run: ${run.errorMessage}`);
        }
        break;
      case "disconnected":
        if (current) {
          this.console.note({ mode, text: "Interrupted: the connection to the server was lost.", kind: "error" });
          this.say("The connection to the server was lost; the runs that were going are interrupted.");
        }
        break;
      default:
        break;
    }
    if (current) this.update();
  }

  announceEnd(run) {
    const others = this.batch.filter((other) => other !== run && other.isActive);
    if (others.length) {
      this.say(
        `${this.names[run.mode]} finished in ${seconds(run.elapsed)}; waiting for ${this.names[others[0].mode]}…`,
      );
      return;
    }
    const speedup = this.speedupText();
    const name = run.isEdited ? `Your version of ${this.names[run.mode]}` : this.names[run.mode];
    const summary = run.outcome === "cancelled" ? `${name} was cancelled.` : `${name}: ${resultText(run)}`;
    this.say("");
    this.announcer.textContent = speedup ? `${summary} ${speedup}.` : summary;
  }

  onConnection(status) {
    this.connection = status;
    this.root.dataset.connection = status;
    window.clearTimeout(this.againTimer);
    if (status === Status.RECONNECTING) {
      this.wasOffline = true;
      this.connectionNote.textContent = "Reconnecting to the server…";
      this.connectionNote.dataset.kind = "offline";
    } else if (status === Status.OPEN && this.wasOffline) {
      this.wasOffline = false;
      this.connectionNote.textContent = "Connected to the server again.";
      this.connectionNote.dataset.kind = "back";
      this.againTimer = window.setTimeout(() => {
        this.connectionNote.textContent = "";
        delete this.connectionNote.dataset.kind;
      }, AGAIN_MESSAGE_MS);
    }
    this.update();
  }

  // Traces -------------------------------------------------------------------

  /**
   * Shows `records` (trace records as the server sends them) as the trace of
   * the latest run of `mode`, in place of what it had: a stored trace
   * replayed, or one made by hand. False when that mode has no run.
   */
  showTrace(mode, records) {
    const run = this.runs[mode];
    if (!run) return false;
    run.traced = true;
    run.trace.replace(records);
    this.update();
    return true;
  }

  /** The inspector moved (or closed: run is null): mark the code and the timeline. */
  showInspected(run, snapshot, marks) {
    // Opening an editor takes a moment: only the latest snapshot may mark it.
    this.inspected = (this.inspected || 0) + 1;
    const serial = this.inspected;
    for (const mode of MODES) this.timeline.setCursor(mode, null);
    this.source.clearMarks();
    for (const mode of MODES) this.editors[mode].restoreMarks();
    if (!run) return;
    this.source.select(run.mode);
    // A trace of the reader's code names lines of that code, which the editor
    // shows (reopened if the reader closed it): never the lesson's listing.
    if (run.isEdited) {
      const editor = this.editors[run.mode];
      editor.open().then(() => {
        if (serial === this.inspected) editor.mark(marks);
      });
    } else {
      this.source.mark(run.mode, marks, { smooth: !reducedMotion.matches });
    }
    this.timeline.setCursor(run.mode, snapshot.time);
  }

  // Showing ----------------------------------------------------------------

  say(text) {
    this.status.textContent = text;
    if (text) this.announcer.textContent = "";
  }

  makePrediction(mode, lines) {
    const list = h("ol", { class: "quiz-lines" }, shuffled(lines).map((text) => orderableItem(text, lines.indexOf(text))));
    const moved = h("p", { class: "visually-hidden", "aria-live": "polite" });
    const result = h("p", { class: "demo-predict-result", role: "status" });
    const element = h(
      "details",
      { class: "demo-predict", "data-mode": mode },
      h("summary", {}, `Predict the order ${inSentence(this.names[mode])} prints in`),
      h("p", { class: "field-hint" }, `Put its first ${lines.length} lines in the order you expect, then run it.`),
      list,
      moved,
      result,
    );
    makeOrderable(list, moved);
    return { element, list, result, lines };
  }

  /** After a finished run of the lesson's program: the reader's order against what it printed. */
  judgePrediction(run) {
    const prediction = this.predictions[run.mode];
    if (!prediction || run.isEdited || run.outcome === "cancelled") return;
    const { list, result, lines } = prediction;
    const printed = run.printed.slice(0, lines.length);
    if (printed.length !== lines.length || [...printed].sort().join("\n") !== [...lines].sort().join("\n")) {
      result.textContent = "This run printed other lines (its parameters differ from the lesson's), so your order could not be compared.";
      return;
    }
    const placed = markAgainst(list, printed);
    const mine = currentOrder(list).join("\n") === printed.join("\n");
    result.textContent = mine
      ? `Your order was right: all ${lines.length} lines came as you put them.`
      : `${placed} of ${lines.length} lines came where you put them; the others are marked. The output shows the real order.`;
  }

  update() {
    const active = MODES.some((mode) => this.runs[mode]?.isActive);
    this.root.dataset.state = this.state(active);
    const offline = this.connection !== Status.OPEN;
    setDisabled(this.buttons["run-sync"], offline || Boolean(this.runs.sync?.isActive));
    setDisabled(this.buttons["run-async"], offline || Boolean(this.runs.async?.isActive));
    setDisabled(this.buttons.race, offline || active);
    setDisabled(this.buttons.cancel, !active);
    for (const mode of MODES) setDisabled(this.editors[mode].runButton, offline || Boolean(this.runs[mode]?.isActive));
    for (const mode of MODES) this.showResult(mode);
    for (const mode of MODES) this.shares[mode].offer(this.runs[mode], shareable(this.runs[mode]));
    this.showSpeedup();
    this.timeline.render(this.runs);
    this.table.render(this.runs);
    this.inspector.update(this.runs);
    this.animate(active);
  }

  state(active) {
    if (active) return "running";
    if (!this.batch.length) return "idle";
    const failed = this.batch.some((run) => run.status === RunStatus.ERROR || run.status === RunStatus.INTERRUPTED);
    return failed ? "error" : "done";
  }

  showResult(mode) {
    const run = this.runs[mode];
    const { element, summary, guess, why } = this.results[mode];
    element.dataset.status = run ? run.outcome || run.status : "none";
    if (run?.status === RunStatus.FINISHED) element.dataset.elapsed = String(run.elapsed);
    else delete element.dataset.elapsed;
    summary.textContent = run?.isEdited ? `Your version: ${resultText(run)}` : resultText(run);
    const finished = run?.status === RunStatus.FINISHED;
    guess.textContent = finished && run.guess !== null ? guessVerdict(run.guess, run.elapsed) : "";
    // Why the total came out as it did: true of the lesson's program, not of the reader's own.
    why.textContent = finished && !run.isEdited ? this.entry.modes[mode].why || "" : "";
  }

  speedupText() {
    if (!comparesSpeed(this.demo)) return "";
    const { sync, async } = this.runs;
    // The reader's code may do anything: comparing it with the other version would teach nothing sure.
    if (sync?.isEdited || async?.isEdited) return "";
    if (!comparable(sync) || !comparable(async) || JSON.stringify(sync.params) !== JSON.stringify(async.params))
      return "";
    const value = sync.elapsed / Math.max(async.elapsed, 0.001);
    if (value >= 1.05) return `${this.names.async} was ${ratio(value)} faster`;
    if (value <= 1 / 1.05) return `${this.names.sync} was ${ratio(1 / value)} faster`;
    return "Both took about the same time";
  }

  showSpeedup() {
    const text = this.speedupText();
    this.speedup.hidden = !text;
    this.speedup.textContent = text;
    const { sync, async } = this.runs;
    if (text) this.speedup.dataset.speedup = (sync.elapsed / Math.max(async.elapsed, 0.001)).toFixed(3);
    else delete this.speedup.dataset.speedup;
  }

  /**
   * Grows running bars every frame. With reduced motion there is no loop:
   * the timeline is redrawn only when a message arrives (update()).
   */
  animate(active) {
    if (!active || reducedMotion.matches || this.frame) return;
    const step = () => {
      this.frame = 0;
      this.timeline.render(this.runs);
      if (MODES.some((mode) => this.runs[mode]?.isActive) && !reducedMotion.matches) {
        this.frame = window.requestAnimationFrame(step);
      }
    };
    this.frame = window.requestAnimationFrame(step);
  }
}

// Helpers ------------------------------------------------------------------

/** The lines in an order that is never the right one, the same on every load: a rotation by half. */
function shuffled(lines) {
  const half = Math.ceil(lines.length / 2);
  const rotated = [...lines.slice(half), ...lines.slice(0, half)].reverse();
  return rotated.join("\n") === lines.join("\n") ? [...lines].reverse() : rotated;
}

/** "You guessed 3 s: 0.4 s too long." or "…: right, within 0.05 s." */
function guessVerdict(guess, elapsed) {
  const off = guess - elapsed;
  // Within 5% of the run, or 0.05 s for short runs, counts as right: the clock is not that steady.
  const close = Math.max(0.05, elapsed * 0.05);
  const said = `You guessed ${guessText(guess)}`;
  if (Math.abs(off) <= close) return `${said}: right, within ${guessText(close)}.`;
  return `${said}: ${guessText(Math.abs(off))} too ${off > 0 ? "long" : "short"}.`;
}

/** Whether a mode's runs have an event loop to trace: the catalog says (sync programs have none). */
function canTrace(catalogMode) {
  return catalogMode?.traceable === true;
}

/** A run that started and finished: the server stored it, so it can be shared. */
function shareable(run) {
  // A teacher's run followed in a room ran on the teacher's socket: only they can share it.
  if (run?.followed) return false;
  return run?.status === RunStatus.FINISHED && !(run.outcome === "cancelled" && !run.elapsed);
}

function shareRefusal(message) {
  if (message.code === "unknown_run") {
    return "This run can no longer be shared: the page reconnected to the server since it ran. Run it again to share it.";
  }
  return `Not shared: ${message.message || message.code}`;
}

function comparable(run) {
  return run?.status === RunStatus.FINISHED && (run.outcome === "ok" || run.outcome === "failed") && run.elapsed > 0;
}

function resultText(run) {
  if (!run) return "Not run yet.";
  switch (run.status) {
    case RunStatus.SENT:
      return "Starting…";
    case RunStatus.QUEUED:
      return `Waiting for a free slot (position ${run.queuePosition})…`;
    case RunStatus.RUNNING:
      return run.cancelRequested ? "Cancelling…" : "Running…";
    case RunStatus.FINISHED: {
      if (run.outcome === "cancelled") {
        if (!run.elapsed) return run.summary; // "Cancelled before it started."
        const why = run.reason && run.reason !== "cancelled by the reader" ? ` — ${run.reason}` : "";
        return `Cancelled after ${seconds(run.elapsed)}${why}.`;
      }
      if (run.outcome === "failed") {
        if (run.error) return `${run.summary} ${run.error.type}: ${run.error.message}`.trim();
        // A limit that stopped the reader's code says so in a sentence of its own.
        if (run.isEdited && run.reason) return `${run.summary} ${run.reason}`.trim();
        if (run.reason) return `${run.summary} It failed: ${run.reason}.`;
        const failed = [...run.tasks.values()].filter((task) => task.ok === false).length;
        return `${run.summary} ${failed} of ${run.tasks.size} ${run.tasks.size === 1 ? "task" : "tasks"} failed.`;
      }
      return run.summary;
    }
    case RunStatus.ERROR:
      return `Not run: ${run.errorMessage}`;
    case RunStatus.INTERRUPTED:
      return `Interrupted after ${seconds(run.now())}: the connection to the server was lost.`;
    default:
      return "";
  }
}

function setDisabled(button, disabled) {
  // aria-disabled, not disabled: the button keeps its focus and stays
  // discoverable, and a press explains why nothing happens.
  if (disabled) button.setAttribute("aria-disabled", "true");
  else button.removeAttribute("aria-disabled");
}

function whyDisabled(action, widget) {
  if (widget.connection !== Status.OPEN) return "Not connected to the server yet. Reconnecting…";
  if (action === "cancel") return "Nothing is running.";
  if (action === "run-edited") return "That version is already running; wait for it or cancel it.";
  return "That version is already running; wait for it or cancel it.";
}

/** "Run sync" -> "sync", "Run with time.sleep" -> "time.sleep". */
function shortName(label, fallback) {
  const name = String(label || "")
    .replace(/^run\s+/i, "")
    .replace(/^with\s+/i, "")
    .trim();
  return name || fallback;
}

/** The lesson's parameters (data-params) over the catalog's defaults. */
function initialParams(root, params) {
  let given = {};
  try {
    given = JSON.parse(root.dataset.params || "{}") || {};
  } catch {
    given = {}; // a broken attribute falls back to the defaults
  }
  const values = {};
  for (const param of params) values[param.name] = param.name in given ? given[param.name] : param.default;
  return values;
}

/** One level below the heading the demo sits under, so the outline stays in order. */
function headingLevel(root) {
  let level = 1;
  for (const heading of document.querySelectorAll("h1, h2, h3, h4, h5, h6")) {
    if (heading.closest(".demo")) continue; // another widget's own title
    if (heading.compareDocumentPosition(root) & Node.DOCUMENT_POSITION_FOLLOWING) {
      level = Number(heading.tagName[1]);
    }
  }
  return Math.min(level + 1, 6);
}
