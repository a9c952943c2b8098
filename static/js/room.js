/* Classroom rooms on a lesson page: the teacher's controls and the followers' banner.
 *
 * Both ride on the page's one demo socket (docs/protocol.md, "Rooms").
 *
 * - Staff (the article carries data-room-teacher) get a "Classroom room" panel:
 *   open a room, show its code and join link, bring everyone to a section,
 *   ask for guesses and see them as a histogram with the measured time, close.
 * - A reader who came by a join link (?room=CODE) follows the room: a banner
 *   says whose room it is and offers "Stop following" (and "Follow again");
 *   the teacher's runs stream into the page's demo widgets, the teacher's
 *   section is scrolled to, and a call for guesses shows a small form.
 *
 * The server passes a follower the room's items in order, with nothing
 * missing (it asks again for what it missed), so the page applies them as
 * they come. For tests, the panel and the banner carry data-state.
 */

import { h, uniqueId } from "./dom.js";
import { guessText, seconds } from "./format.js";

const MAX_GUESS = 3600;
// The closed panel's sentence; lesson_detail.html's placeholder has it too, to keep the panel's size.
const CLOSED = "Open a room to run this lesson's demos for a class: readers who join see your runs live.";

/**
 * Sets up rooms on a lesson page. `widgetOf(demo)` gives the page's widget
 * for a demo name (or null); `socketModule` is ./demo-socket.js.
 */
export function setUpRoom({ article, socketModule, widgetOf, socketPath = "/ws/demos/" }) {
  if (!article) return null;
  const lesson = Number(article.dataset.lessonId);
  if (!Number.isSafeInteger(lesson) || lesson < 1) return null;
  const socket = socketModule.sharedSocket(socketPath);
  const code = new URLSearchParams(window.location.search).get("room");
  if ("roomTeacher" in article.dataset) {
    document.querySelector(".room-slot")?.remove(); // a follower's place, not the teacher's
    return new TeacherPanel({ article, lesson, socket, socketModule });
  }
  if (code) return new FollowerBanner({ article, code, socket, socketModule, widgetOf });
  return null;
}

// The teacher's side ------------------------------------------------------------

class TeacherPanel {
  constructor({ article, lesson, socket, socketModule }) {
    this.lesson = lesson;
    this.socket = socket;
    this.code = null;
    const titleId = uniqueId("room-title");
    this.status = h("p", { class: "room-status", role: "status" });
    // The closed sentence, unseen under the status: the panel keeps its closed height (rooms.css).
    const statusBox = h(
      "div",
      { class: "room-status-box" },
      this.status,
      h("p", { class: "room-status room-status-reserve", "aria-hidden": "true" }, CLOSED),
    );
    this.openButton = h("button", { type: "button", class: "button button-primary", "data-action": "room-open" }, "Open a room");
    this.openButton.addEventListener("click", () => this.send({ type: "room_open", lesson }));
    this.codeText = h("strong", { class: "room-code" });
    this.link = h("a", { class: "room-link" });
    this.sections = h("select", { id: uniqueId("room-section"), class: "room-sections" });
    for (const heading of article.querySelectorAll(".lesson-body :is(h2, h3)[id]")) {
      this.sections.append(h("option", { value: heading.id }, heading.textContent.trim()));
    }
    const bring = h("button", { type: "button", class: "button", "data-action": "room-section" }, "Bring everyone here");
    bring.addEventListener("click", () => {
      if (this.sections.value) this.send({ type: "room_section", section: this.sections.value });
    });
    this.question = h("input", {
      id: uniqueId("room-question"),
      type: "text",
      maxlength: 200,
      value: "How long will the next run take, in total?",
    });
    const ask = h("button", { type: "button", class: "button", "data-action": "room-ask" }, "Ask for guesses");
    ask.addEventListener("click", () => this.send({ type: "room_ask", question: this.question.value.trim() }));
    const close = h("button", { type: "button", class: "button room-close", "data-action": "room-close" }, "Close the room");
    close.addEventListener("click", () => this.send({ type: "room_close" }));
    this.chart = new Histogram();
    this.controls = h(
      "div",
      { class: "room-controls", hidden: true },
      h("p", { class: "room-join" }, "Code ", this.codeText, " · join at ", this.link),
      h(
        "div",
        { class: "room-row" },
        h("label", { for: this.sections.id }, "Section"),
        this.sections,
        bring,
      ),
      h(
        "div",
        { class: "room-row" },
        h("label", { for: this.question.id }, "Question"),
        this.question,
        ask,
      ),
      this.chart.element,
      close,
    );
    this.element = h(
      "section",
      { class: "room-panel", "aria-labelledby": titleId, "data-state": "unknown" },
      h("h2", { id: titleId, class: "room-title" }, "Classroom room"),
      statusBox,
      this.openButton,
      this.controls,
    );
    // In the place the page kept for it from the first paint, so nothing moves.
    const slot = article.querySelector(".room-panel-slot");
    if (slot) slot.replaceChildren(this.element);
    else article.querySelector(".lesson-header")?.after(this.element);
    // Until the server says whether this teacher has a room open here, the
    // button keeps its place unseen (rooms.css).
    this.status.textContent = "Connecting…";

    socket.onStray((message) => this.onMessage(message));
    socket.onStatus((status) => {
      // A teacher who reloads finds their open room again.
      if (status === socketModule.Status.OPEN) socket.send({ type: "room_open", lesson, resume: true });
    });
  }

  send(frame) {
    if (!this.socket.send(frame)) this.status.textContent = "Not connected to the server. Reconnecting…";
  }

  onMessage(message) {
    switch (message.type) {
      case "room_opened": {
        this.code = message.code;
        const url = new URL(message.url, window.location.href).href;
        this.codeText.textContent = message.code;
        this.link.href = url;
        this.link.textContent = url;
        this.openButton.hidden = true;
        this.controls.hidden = false;
        this.element.dataset.state = "open";
        this.status.textContent = `Room ${message.code} is open. Readers who join follow your runs.`;
        break;
      }
      case "room_none":
        this.showClosed(CLOSED);
        break;
      case "room_section":
        this.status.textContent = `Everyone was brought to “${this.sectionTitle(message.section)}”.`;
        break;
      case "room_histogram":
        this.chart.show(message);
        break;
      case "room_moved":
        this.code = null;
        this.showClosed(`Room ${message.code} is now run from another page of yours; open it here to take it back.`);
        break;
      case "room_closed":
        this.code = null;
        this.showClosed(message.reason === "idle" ? "The room ended: it was idle too long." : "The room is closed.");
        break;
      case "error":
        if (String(message.code).startsWith("room") || ["not_staff", "not_teaching"].includes(message.code)) {
          this.status.textContent = message.message;
        }
        break;
      default:
    }
  }

  sectionTitle(id) {
    return [...this.sections.options].find((option) => option.value === id)?.textContent ?? id;
  }

  showClosed(text) {
    this.openButton.hidden = false;
    this.controls.hidden = true;
    this.element.dataset.state = "closed";
    this.status.textContent = text;
    this.chart.clear();
  }
}

/** The guesses as bars, one per bin, and the measured time marked on its bin (rooms.css). */
class Histogram {
  constructor() {
    const captionId = uniqueId("room-histogram");
    this.caption = h("p", { class: "room-histogram-caption", id: captionId, role: "status" });
    this.bars = h("ol", { class: "room-histogram", "aria-labelledby": captionId });
    this.element = h("div", { class: "room-guesses", hidden: true }, this.caption, this.bars);
  }

  clear() {
    this.element.hidden = true;
    this.bars.replaceChildren();
  }

  show({ round, asking, question, histogram }) {
    this.element.hidden = false;
    this.element.dataset.round = round;
    this.element.dataset.count = histogram.count;
    const count = `${histogram.count} guess${histogram.count === 1 ? "" : "es"}`;
    const median = histogram.median === null ? "" : `, median ${guessText(histogram.median)}`;
    const measured = histogram.measured === null ? "" : ` Measured: ${seconds(histogram.measured)}.`;
    const state = asking ? "Guessing is open" : "Guessing is over";
    this.caption.textContent = `${question || "Guesses"} ${state}: ${count}${median}.${measured}`;
    const most = Math.max(1, ...histogram.bins.map((bin) => bin.count));
    this.bars.replaceChildren(
      ...histogram.bins.map((bin) => {
        const hasMeasured = histogram.measured !== null && bin.low <= histogram.measured && histogram.measured < bin.high;
        const bar = h("span", { class: "room-bar", "aria-hidden": "true" });
        bar.style.setProperty("--share", String(bin.count / most));
        const item = h(
          "li",
          { class: hasMeasured ? "room-bin has-measured" : "room-bin", "data-count": bin.count },
          h("span", { class: "room-bin-label" }, `${bin.low}–${bin.high} s`),
          bar,
          h("span", { class: "room-bin-count" }, String(bin.count)),
          hasMeasured ? h("span", { class: "room-measured" }, `measured ${seconds(histogram.measured)}`) : null,
        );
        return item;
      }),
    );
  }
}

// The followers' side -----------------------------------------------------------

class FollowerBanner {
  constructor({ article, code, socket, socketModule, widgetOf }) {
    this.code = code;
    this.socket = socket;
    this.widgetOf = widgetOf;
    this.following = false;
    this.wanted = true; // the reader has not pressed "Stop following"
    this.teacher = "";
    this.runs = new Map(); // the teacher's run id -> its widget's handler
    this.round = 0;
    this.text = h("p", { class: "room-banner-text" });
    this.toggle = h("button", { type: "button", class: "button", "data-action": "room-follow" });
    this.toggle.addEventListener("click", () => this.setWanted(!this.wanted));
    this.guessInput = h("input", {
      id: uniqueId("room-guess"),
      type: "number",
      min: "0.01",
      max: String(MAX_GUESS),
      step: "any",
      inputmode: "decimal",
      required: true,
    });
    this.question = h("label", { for: this.guessInput.id, class: "room-question" });
    this.guessForm = h(
      "form",
      { class: "room-guess-form", hidden: true },
      this.question,
      h("span", { class: "room-guess-field" }, this.guessInput, " s"),
      h("button", { type: "submit", class: "button button-primary", "data-action": "room-guess" }, "Send my guess"),
    );
    this.guessForm.addEventListener("submit", (event) => {
      event.preventDefault();
      this.sendGuess();
    });
    this.note = h("p", { class: "room-note", role: "status" });
    this.element = h(
      "section",
      { class: "room-banner", "aria-label": "Classroom room", "data-state": "joining" },
      h("div", { class: "room-banner-head" }, this.text, this.toggle),
      this.guessForm,
      this.note,
    );
    // Unseen while joining (rooms.css), but in place: the banner keeps its height once following.
    this.toggle.textContent = "Stop following";
    this.text.textContent = `Joining room ${code}…`;
    // Where the page kept its place before the first paint, so nothing moves.
    const slot = document.querySelector(".room-slot");
    if (slot) slot.replaceChildren(this.element);
    else article.before(this.element);

    socket.onStray((message) => this.onMessage(message));
    socket.onStatus((status) => {
      // Again after every reconnect: the server forgets a closed socket's room.
      if (status === socketModule.Status.OPEN && this.wanted) this.join();
    });
  }

  join() {
    this.socket.send({ type: "room_join", code: this.code });
  }

  setWanted(wanted) {
    this.wanted = wanted;
    if (wanted) this.join();
    else this.socket.send({ type: "room_leave" });
  }

  sendGuess() {
    const value = Number(this.guessInput.value);
    if (!this.guessInput.value || !Number.isFinite(value) || value <= 0 || value > MAX_GUESS) {
      this.guessInput.setAttribute("aria-invalid", "true");
      this.note.textContent = `A guess is a number of seconds above 0 and at most ${MAX_GUESS}.`;
      this.guessInput.focus();
      return;
    }
    this.guessInput.removeAttribute("aria-invalid");
    this.socket.send({ type: "room_guess", seconds: value });
  }

  onMessage(message) {
    switch (message.type) {
      case "room_joined":
        this.following = true;
        this.teacher = message.teacher;
        this.runs.clear();
        this.showFollowing();
        break;
      case "room_left":
        this.following = false;
        this.element.dataset.state = "stopped";
        this.text.textContent = `You stopped following ${this.teacher}'s room. `;
        this.toggle.textContent = "Follow again";
        this.guessForm.hidden = true;
        this.note.textContent = "";
        break;
      case "room":
        if (this.following) message.items.forEach((item) => this.apply(item));
        break;
      case "room_guessed":
        this.note.textContent = `Your guess of ${guessText(message.seconds)} was sent.`;
        break;
      case "room_closed":
        this.ended(message.reason === "idle" ? `${this.teacher}'s room ended: it was idle too long.` : `${this.teacher}'s room has ended.`);
        break;
      case "error":
        if (message.code === "unknown_room" || message.code === "room_closed" || message.code === "rate_limited") {
          this.ended(message.message.charAt(0).toUpperCase() + message.message.slice(1) + ".");
        } else if (["not_asking", "too_many_guesses"].includes(message.code) || (message.code === "bad_message" && this.following)) {
          this.note.textContent = message.message;
        }
        break;
      default:
    }
  }

  showFollowing() {
    this.element.dataset.state = "following";
    this.text.textContent = `Following ${this.teacher}'s room — `;
    this.toggle.textContent = "Stop following";
    this.toggle.hidden = false;
  }

  ended(text) {
    this.following = false;
    this.wanted = false;
    this.element.dataset.state = "ended";
    this.text.textContent = text;
    this.toggle.hidden = true;
    this.guessForm.hidden = true;
    this.note.textContent = "";
  }

  apply(item) {
    switch (item.kind) {
      case "run":
        this.runEvent(item.event);
        break;
      case "state":
        this.setAsking(item.asking, item.round, item.question);
        if (item.section) this.goTo(item.section, false);
        break;
      case "section":
        this.goTo(item.section, true);
        break;
      case "asking":
        this.setAsking(true, item.round, item.question);
        break;
      case "answered":
        this.setAsking(false, item.round, "");
        this.note.textContent =
          item.measured === null ? "Guessing is over." : `Guessing is over. The run took ${seconds(item.measured)}.`;
        break;
      default:
    }
  }

  runEvent(event) {
    if (event.type === "accepted") {
      const widget = this.widgetOf(event.demo);
      if (widget) this.runs.set(event.id, widget.showFollowedRun(event));
      return;
    }
    const handler = this.runs.get(event.id);
    if (!handler) return;
    handler(event);
    if (event.type === "finished" || event.type === "error") this.runs.delete(event.id);
  }

  setAsking(asking, round, question) {
    const fresh = round !== this.round;
    this.round = round;
    this.guessForm.hidden = !asking;
    if (asking) {
      this.question.textContent = question || "How long will the next run take?";
      if (fresh) {
        this.guessInput.value = "";
        this.note.textContent = `${this.teacher} asks for your guess.`;
      }
    }
  }

  goTo(section, announce) {
    const heading = document.getElementById(section);
    if (!heading) return;
    if (!heading.hasAttribute("tabindex")) heading.setAttribute("tabindex", "-1");
    const motion = window.matchMedia("(prefers-reduced-motion: reduce)").matches ? "auto" : "smooth";
    heading.scrollIntoView({ behavior: motion, block: "start" });
    heading.focus({ preventScroll: true });
    if (announce) this.note.textContent = `${this.teacher} brought everyone to “${heading.textContent.trim()}”.`;
  }
}
