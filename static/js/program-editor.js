/* "Edit" for one variant's listing: the reader's own version of the program,
 * its draft kept in this browser, and "Run my version".
 *
 * Closed, it is an Edit button above the read-only listing. Open, the listing
 * hides and a code editor (code-editor.js, loaded only then: CodeMirror is
 * large) holds the reader's draft, or the lesson's version. Edits are saved
 * as a draft (drafts.js) shortly after each change and when the page goes
 * away; a draft made from an older lesson listing is said to be so, with the
 * reset offered. A page reopened with a draft opens the editor with it.
 *
 * Running is the widget's business: "Run my version" calls onRun(code), and
 * the widget reports back with showError() and say().
 */

import { h } from "./dom.js";
import { clearDraft, hashText, loadDraft, saveDraft } from "./drafts.js";

/** The most code one run may carry, in UTF-8 bytes (the server refuses more). */
export const MAX_CODE_BYTES = 32 * 1024;
const SAVE_DELAY_MS = 400;

export class ProgramEditor {
  /**
   * `name`: the variant's short name ("asyncio.sleep"); `listing`: the
   * lesson's version of its program; `hasParams`: whether the demo's form has
   * parameters (which then do not apply to the reader's version).
   */
  constructor({ demo, mode, name, listing, hasParams, onRun }) {
    this.demo = demo;
    this.mode = mode;
    this.name = name;
    this.listing = listing;
    this.base = hashText(listing);
    this.onRun = onRun;
    this.editor = null;
    this.opening = null;
    this.saveTimer = 0;
    this.draftBase = this.base; // the listing the text in the editor started from
    this.error = null; // the last run's error ({ type, message, line, ... }), for its mark
    this.listingElement = null;
    this.isOpen = false;
    this.loaded = null; // a shared program in the editor, until the reader changes it

    this.editButton = h("button", { type: "button", class: "demo-button button-edit", "data-action": "edit" }, "Edit");
    this.editButton.addEventListener("click", () => this.open({ focus: true }));
    this.draftNote = h("span", { class: "editor-draft-note", hidden: true }, "Your edited version is kept here.");
    this.bar = h("div", { class: "editor-bar" }, this.editButton, this.draftNote);

    const sentences = [
      "Tab indents. To leave the editor with the keyboard, press Esc then Tab (or Ctrl+M to make Tab move focus).",
      hasParams
        ? "Your version runs with the constants written in it; the demo's settings apply only to the lesson's version."
        : "",
      "Your edits are kept in this browser.",
    ];
    this.hint = sentences.filter(Boolean).join(" "); // shown by the editor, above its text

    this.changedNotice = h(
      "div",
      { class: "editor-notice", role: "status", hidden: true },
      h("p", {}, "The lesson's version of this program changed since you edited it."),
      h(
        "div",
        { class: "editor-notice-actions" },
        this.actionButton("Reset to the lesson's version", "reset", () => this.reset()),
        this.actionButton("Keep my version", "keep", () => this.keep()),
      ),
    );

    this.slot = h("div", { class: "editor-slot" });
    // Always in the page, empty when there is nothing to say (CSS hides it then),
    // so that screen readers announce the error as soon as its text arrives.
    this.problemText = h("p", { class: "editor-problem-text", role: "alert" });
    this.goToButton = this.actionButton("", "go-to-line", () => {
      if (Number.isInteger(this.error?.line)) this.editor?.goToLine(this.error.line);
    });
    this.goToButton.hidden = true;
    this.problem = h("div", { class: "editor-problem" }, this.problemText, this.goToButton);
    this.message = h("p", { class: "editor-message", role: "status" });

    this.runButton = h(
      "button",
      { type: "button", class: `demo-button button-run is-${mode}`, "data-action": "run-edited" },
      "Run my version",
    );
    this.runButton.addEventListener("click", () => this.run());
    this.actions = h(
      "div",
      { class: "editor-actions" },
      this.runButton,
      this.actionButton("Reset to the lesson's version", "reset", () => this.reset()),
      this.actionButton("Close the editor", "close", () => this.close({ focus: true })),
    );
    this.box = h(
      "div",
      { class: "program-editor", "data-mode": mode, hidden: true },
      this.changedNotice,
      this.slot,
      this.problem,
      this.actions,
      this.message,
    );

    // Leaving the page before the save delay is over must not lose the last keystrokes.
    window.addEventListener("pagehide", () => this.flush());
    this.refreshDraftNote();
  }

  actionButton(text, action, onClick) {
    const button = h("button", { type: "button", class: "demo-button button-quiet", "data-action": action }, text);
    button.addEventListener("click", onClick);
    return button;
  }

  /** Puts the bar before `listing` and the editor after it, in the listing's panel. */
  mount(listing) {
    this.listingElement = listing;
    listing.before(this.bar);
    listing.after(this.box);
  }

  get hasDraft() {
    return loadDraft(this.demo, this.mode) !== null;
  }

  // Opening and closing ------------------------------------------------------

  /** Shows the editor with the draft, or the lesson's version; resolves once it is ready. */
  open({ focus = false } = {}) {
    if (!this.opening) this.opening = this.build();
    return this.opening.then(() => {
      this.isOpen = true;
      this.box.hidden = false;
      this.bar.hidden = true;
      if (this.listingElement) this.listingElement.hidden = true;
      if (focus) this.editor.focus();
    });
  }

  async build() {
    const { CodeEditor } = await import("./code-editor.js");
    const draft = loadDraft(this.demo, this.mode);
    this.draftBase = draft ? draft.base : this.base;
    this.editor = new CodeEditor({
      doc: draft ? draft.code : this.listing,
      label: `Your version of the ${this.name} program`,
      hint: this.hint,
      onChange: () => this.scheduleSave(),
    });
    this.slot.append(this.editor.element);
    this.changedNotice.hidden = this.draftBase === this.base;
  }

  close({ focus = false } = {}) {
    this.flush();
    this.isOpen = false;
    this.box.hidden = true;
    this.bar.hidden = false;
    if (this.listingElement) this.listingElement.hidden = false;
    this.refreshDraftNote();
    if (focus) this.editButton.focus();
  }

  // The draft ------------------------------------------------------------------

  scheduleSave() {
    window.clearTimeout(this.saveTimer);
    this.saveTimer = window.setTimeout(() => this.flush(), SAVE_DELAY_MS);
  }

  flush() {
    window.clearTimeout(this.saveTimer);
    this.saveTimer = 0;
    if (!this.editor) return;
    const code = this.editor.code;
    // A shared program, loaded and not edited, is not the reader's draft: theirs stays.
    if (this.loaded !== null && code === this.loaded) return;
    // Back to the lesson's very text: there is nothing of the reader's to keep.
    if (code === this.listing && this.draftBase === this.base) clearDraft(this.demo, this.mode);
    else saveDraft(this.demo, this.mode, { code, base: this.draftBase });
  }

  /** Opens the editor with `code` (a shared run's program); the reader's draft is kept until they edit it. */
  load(code) {
    return this.open().then(() => {
      this.loaded = code;
      this.editor.setCode(code);
      window.clearTimeout(this.saveTimer);
      this.draftBase = this.base;
      this.changedNotice.hidden = true;
      this.say("This is the shared run’s program. Your own draft is kept until you edit this one.");
    });
  }

  reset() {
    this.loaded = null;
    window.clearTimeout(this.saveTimer);
    clearDraft(this.demo, this.mode);
    this.draftBase = this.base;
    this.changedNotice.hidden = true;
    this.clearError();
    this.editor?.setCode(this.listing);
    this.say("Back to the lesson's version; your edits are gone.");
    this.editor?.focus();
  }

  /** The reader keeps their edit of an older listing: it now counts as an edit of this one. */
  keep() {
    this.draftBase = this.base;
    this.changedNotice.hidden = true;
    this.flush();
    this.say("Your version is kept.");
    this.editor?.focus();
  }

  refreshDraftNote() {
    this.draftNote.hidden = !this.hasDraft;
  }

  // Running ----------------------------------------------------------------------

  run() {
    if (!this.editor) return;
    const code = this.editor.code;
    const size = new TextEncoder().encode(code).length;
    if (size > MAX_CODE_BYTES) {
      const limit = kib(MAX_CODE_BYTES);
      this.say(`Not run: your version is ${kib(size)}; a run takes at most ${limit} of code. Shorten it to run it.`);
      return;
    }
    this.flush();
    this.onRun(code);
  }

  say(text) {
    this.message.textContent = text;
  }

  /** The server's error for a run of this version: its line marked, and said in words. */
  showError(error) {
    this.error = error;
    const where = Number.isInteger(error.line) ? error.line : null;
    const what = `${error.type}: ${error.message}`;
    if (error.type === "SyntaxError") {
      const column = Number.isInteger(error.column) ? `, column ${error.column}` : "";
      this.problemText.textContent = where
        ? `Nothing ran: line ${where}${column} has a syntax error (${error.message}).`
        : `Nothing ran: ${what}.`;
    } else {
      this.problemText.textContent = where
        ? `Your version stopped with an error on line ${where}: ${what}. The traceback is in the console.`
        : `Your version stopped with an error: ${what}. The traceback is in the console.`;
    }
    this.goToButton.hidden = !where;
    this.goToButton.textContent = where ? `Go to line ${where}` : "";
    this.restoreMarks();
  }

  clearError() {
    this.error = null;
    this.goToButton.hidden = true;
    this.problemText.textContent = "";
    this.editor?.clearMarks();
  }

  /** The inspector's marks (a paused task, a blocking line) in place of the error's. */
  mark(marks) {
    this.editor?.mark(marks);
  }

  /** Back to the error's mark, or none, when the inspector closes. */
  restoreMarks() {
    if (!this.editor) return;
    const line = this.error?.line;
    if (Number.isInteger(line)) this.editor.mark([{ line, kind: "error", text: `${this.error.type}` }]);
    else this.editor.clearMarks();
  }
}

function kib(bytes) {
  return `${(bytes / 1024).toFixed(bytes % 1024 ? 1 : 0)} KiB`;
}
