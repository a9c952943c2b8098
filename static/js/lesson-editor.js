/* The admin's lesson editor: CodeMirror 6 over the body's textarea, a live
 * preview beside it, and the save's own checks as the writer types.
 *
 * Progressive enhancement: the textarea (lessons.editor.MarkdownEditor) stays
 * the form field. This script hides it, mirrors every edit into it, and puts
 * the editor where it was; without JavaScript the textarea works as before.
 *
 * The preview is the server's: each pause in typing posts the text to the
 * preview endpoint (lessons.editor.lesson_preview), which renders it with the
 * function a save uses and answers its sanitized HTML, the error a save would
 * give ("Line N: ..."), and the claims with their last check. Nothing is saved.
 *
 * Why a sandboxed iframe for the preview, and not a <div> of the admin page:
 * the lesson's look is the reader's stylesheets (site.css...), which would
 * restyle the whole admin if loaded into it, and the admin's would restyle the
 * lesson; a frame keeps both apart, so the preview looks as readers see it.
 * Its sandbox has no allow-scripts, so nothing in it can ever run, whatever the
 * HTML held (it is nh3-sanitized already, and the frame inherits the admin's
 * script-src 'self' too). allow-same-origin lets this script write the body
 * into the frame's document, which keeps the writer's scroll position.
 *
 * Keys: Tab indents; Escape then Tab leaves the editor (CodeMirror lets that
 * Tab through), as the visible hint says.
 */

import { EditorState } from "../vendor/codemirror/state/index.js";
import { EditorView, highlightActiveLine, highlightSpecialChars, keymap, lineNumbers } from "../vendor/codemirror/view/index.js";
import { defaultKeymap, history, historyKeymap, indentWithTab } from "../vendor/codemirror/commands/index.js";
import { bracketMatching, indentUnit, syntaxHighlighting } from "../vendor/codemirror/language/index.js";
import { markdown } from "../vendor/codemirror/lang-markdown/index.js";
import { pythonLanguage } from "../vendor/codemirror/lang-python/index.js";
import { setDiagnostics } from "../vendor/codemirror/lint/index.js";
import { classHighlighter } from "../vendor/lezer/highlight/index.js";

// How long typing must pause before the text is previewed, and the least time
// between two previews: at most 60 a minute, the server's default limit per writer.
const DEBOUNCE_MS = 400;
const MIN_INTERVAL_MS = 1000;
const STYLESHEET = "lesson-editor.css";

/** The URL the page loaded lesson-editor.css from (hashed in production). */
function stylesheetUrl() {
  const link = [...document.querySelectorAll('link[rel="stylesheet"]')].find((candidate) =>
    new URL(candidate.href).pathname.split("/").pop().startsWith("lesson-editor."),
  );
  return link ? link.href : new URL(`../css/${STYLESHEET}`, import.meta.url).href;
}

function element(tag, attributes = {}, text = "") {
  const made = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) made.setAttribute(name, value);
  if (text) made.textContent = text;
  return made;
}

/** Fenced code marked python is highlighted as Python; other blocks stay plain. */
function codeLanguage(info) {
  return ["python", "py", "python3"].includes(info.trim().toLowerCase()) ? pythonLanguage : null;
}

const theme = EditorView.theme({
  "&": { color: "var(--lesson-editor-fg)", backgroundColor: "var(--lesson-editor-bg)", fontSize: "0.9rem" },
  "&.cm-focused": { outline: "3px solid var(--lesson-editor-focus)", outlineOffset: "2px" },
  // Tall: most of the screen, so a writer sees a good part of a lesson at once.
  ".cm-scroller": { fontFamily: "ui-monospace, SFMono-Regular, Menlo, Consolas, monospace", lineHeight: "1.5", height: "75vh" },
  ".cm-content": { caretColor: "var(--lesson-editor-fg)" },
  ".cm-cursor": { borderLeftColor: "var(--lesson-editor-fg)" },
  ".cm-gutters": {
    backgroundColor: "var(--lesson-editor-gutter-bg)",
    color: "var(--lesson-editor-muted)",
    borderRight: "1px solid var(--lesson-editor-border)",
  },
  ".cm-activeLine": { backgroundColor: "var(--lesson-editor-active)" },
});

class LessonEditor {
  constructor(textarea) {
    this.textarea = textarea;
    this.form = textarea.form;
    this.url = textarea.dataset.previewUrl;
    this.styles = JSON.parse(textarea.dataset.previewStyles || "[]");
    this.timer = 0;
    this.lastSent = -Infinity;
    this.pausedUntil = 0; // after a 429, no preview is asked for before its Retry-After
    this.inFlight = false;
    this.again = false;
    this.shownErrors = "[]"; // the errors listed now, as JSON
    this.build();
    this.schedule(0);
  }

  build() {
    const id = this.textarea.id;
    this.root = element("div", { class: "lesson-editor" });
    const write = element("div", { class: "lesson-editor-write" });
    const host = element("div", { class: "lesson-editor-host" });
    const shadow = host.attachShadow({ mode: "open" });
    shadow.append(element("link", { rel: "stylesheet", href: stylesheetUrl() }));
    // Inside the shadow root: aria-describedby cannot point out of it.
    const hint = element(
      "p",
      { class: "lesson-editor-hint", id: `${id}-editor-hint` },
      "Markdown. The preview beside it shows what readers will see; nothing is saved until you save. " +
        "Tab indents; to leave the editor by keyboard, press Escape, then Tab.",
    );
    shadow.append(hint);
    this.view = new EditorView({
      parent: shadow,
      root: shadow,
      state: EditorState.create({
        doc: this.textarea.value,
        extensions: [
          lineNumbers(),
          highlightSpecialChars(),
          highlightActiveLine(),
          history(),
          bracketMatching(),
          indentUnit.of("    "),
          EditorState.tabSize.of(4),
          EditorView.lineWrapping,
          markdown({ codeLanguages: codeLanguage }),
          syntaxHighlighting(classHighlighter),
          keymap.of([...defaultKeymap, ...historyKeymap, indentWithTab]),
          theme,
          EditorView.contentAttributes.of({
            "aria-label": `${this.labelText()} (Markdown)`,
            "aria-describedby": hint.id,
            "aria-multiline": "true",
            tabindex: "0",
          }),
          EditorView.updateListener.of((update) => {
            if (!update.docChanged) return;
            this.textarea.value = this.text;
            this.schedule(DEBOUNCE_MS);
          }),
        ],
      }),
    });

    this.status = element("p", { class: "lesson-editor-status" });
    this.checks = element("div", { class: "lesson-editor-checks", "aria-live": "polite" });
    this.claims = element("div", { class: "lesson-editor-claims" });
    write.append(host, this.checks, this.claims);

    const look = element("div", { class: "lesson-editor-preview" });
    look.append(element("h3", { class: "lesson-editor-preview-title" }, "Preview"), this.status);
    this.frame = element("iframe", {
      class: "lesson-editor-frame",
      title: "Preview of the lesson as readers will see it",
      sandbox: "allow-same-origin",
    });
    this.frame.srcdoc = this.frameSkeleton();
    this.frameReady = new Promise((resolve) => this.frame.addEventListener("load", resolve, { once: true }));
    look.append(this.frame);
    this.root.append(write, look);

    this.textarea.hidden = true;
    this.textarea.closest(".flex-container")?.classList.add("has-lesson-editor");
    this.textarea.after(this.root);
    // The field's label points at the hidden textarea; a click on it focuses the editor.
    const label = document.querySelector(`label[for="${id}"]`);
    label?.addEventListener("click", (event) => {
      event.preventDefault();
      this.view.focus();
    });
    this.followTheme();
  }

  labelText() {
    const label = document.querySelector(`label[for="${this.textarea.id}"]`);
    return label ? label.textContent.replace(/:\s*$/, "").trim() : "Body";
  }

  get text() {
    return this.view.state.doc.toString();
  }

  frameSkeleton() {
    const links = this.styles.map((href) => `<link rel="stylesheet" href="${encodeURI(href)}">`).join("");
    // "js": quizzes look as readers with JavaScript see them (html:not(.js) hides their controls).
    return (
      `<!doctype html><html lang="en" class="js"><head><meta charset="utf-8"><title>Preview</title>${links}</head>` +
      '<body><main class="page lesson-page"><article class="lesson"><nav class="toc" aria-labelledby="toc-title" hidden>' +
      '<details class="toc-details" open><summary><h2 id="toc-title">On this page</h2></summary><ol></ol></details></nav>' +
      '<div class="lesson-body"></div></article></main></body></html>'
    );
  }

  /** The frame's theme follows the admin's own toggle (html[data-theme]), or the system. */
  followTheme() {
    const apply = async () => {
      await this.frameReady;
      const html = this.frame.contentDocument.documentElement;
      const chosen = document.documentElement.dataset.theme;
      if (chosen === "light" || chosen === "dark") html.dataset.theme = chosen;
      else delete html.dataset.theme;
    };
    new MutationObserver(apply).observe(document.documentElement, { attributes: true, attributeFilter: ["data-theme"] });
    apply();
  }

  schedule(delay) {
    clearTimeout(this.timer);
    const now = performance.now();
    const wait = Math.max(delay, this.lastSent + MIN_INTERVAL_MS - now, this.pausedUntil - now);
    this.timer = setTimeout(() => this.refresh(), wait);
  }

  async refresh() {
    if (this.inFlight) {
      this.again = true; // once this answer is in, preview the text as it is then
      return;
    }
    this.inFlight = true;
    this.again = false;
    this.lastSent = performance.now();
    const text = this.text;
    this.status.textContent = "Updating the preview…";
    try {
      const response = await fetch(this.url, {
        method: "POST",
        credentials: "same-origin",
        headers: { "X-CSRFToken": this.form.elements.csrfmiddlewaretoken.value },
        // Line breaks as a form's submission sends them, so the size is counted as a save counts it.
        body: new URLSearchParams({ body: text.replace(/\r?\n/g, "\r\n") }),
      });
      if (response.status === 429) {
        const seconds = Number(response.headers.get("Retry-After")) || 5;
        this.status.textContent = `Preview paused: too many in a short while. It updates again in ${seconds} s.`;
        this.pausedUntil = performance.now() + seconds * 1000;
        this.again = true; // then preview the text as it is by then
        return;
      }
      if (!response.ok) {
        this.status.textContent = `The preview could not be updated (${response.status}); your text is kept.`;
        return;
      }
      const answer = await response.json();
      await this.show(answer, text);
      this.status.textContent = answer.errors.length ? "Preview: the text has an error (see below the editor)." : "Preview up to date.";
    } catch {
      this.status.textContent = "The preview could not be reached; your text is kept. It will try again as you type.";
    } finally {
      this.inFlight = false;
      if (this.again) this.schedule(0);
    }
  }

  async show(answer, text) {
    this.showErrors(answer.errors, text);
    this.showClaims(answer.claims);
    // A text that cannot be saved keeps the last good preview, as the page readers see would.
    if (answer.errors.length) return;
    await this.frameReady;
    const frameDocument = this.frame.contentDocument;
    // Sanitized by the server (lessons.rendering); and the frame's sandbox runs no script.
    frameDocument.querySelector(".lesson-body").innerHTML = answer.html;
    this.labelDemos(frameDocument);
    const toc = frameDocument.querySelector(".toc");
    const list = toc.querySelector("ol");
    list.replaceChildren(
      ...answer.toc.map((entry) => {
        const item = frameDocument.createElement("li");
        item.className = `toc-level-${entry.level}`;
        const link = frameDocument.createElement("a");
        link.href = `#${entry.id}`;
        link.textContent = entry.title;
        item.append(link);
        return item;
      }),
    );
    toc.hidden = answer.toc.length === 0;
    frameDocument.querySelector(".lesson").classList.toggle("has-toc", answer.toc.length > 0);
  }

  /** Readers see a live widget where the preview, which runs no script, has its placeholder:
   * say which demo goes there and what it starts with. */
  labelDemos(frameDocument) {
    for (const demo of frameDocument.querySelectorAll(".demo[data-demo]")) {
      const params = Object.entries(JSON.parse(demo.dataset.params || "{}"));
      const starts = params.length
        ? `starting with ${params.map(([name, value]) => `${name}=${JSON.stringify(value)}`).join(", ")}`
        : "starting with its defaults";
      const note = frameDocument.createElement("p");
      note.className = "lesson-preview-demo";
      note.textContent = `Live demo “${demo.dataset.demo}” here, ${starts}.`;
      demo.prepend(note);
    }
  }

  showErrors(errors, text) {
    // Underlined at their line, if the text is still the one checked; listed below for everyone.
    const doc = this.view.state.doc;
    const diagnostics = [];
    if (text === this.text) {
      for (const error of errors) {
        if (!Number.isInteger(error.line) || error.line < 1 || error.line > doc.lines) continue;
        const line = doc.line(error.line);
        diagnostics.push({ from: line.from, to: Math.max(line.to, line.from), severity: "error", message: error.message });
      }
    }
    this.view.dispatch(setDiagnostics(this.view.state, diagnostics));
    // The list is a live region: put back unchanged, it would be read out at every pause,
    // and a focused "Go to line" button would lose its focus.
    const shown = JSON.stringify(errors);
    if (shown === this.shownErrors) return;
    this.shownErrors = shown;
    if (!errors.length) {
      this.checks.replaceChildren();
      return;
    }
    const heading = element("h3", { class: "lesson-editor-checks-title" }, "A save would refuse this text");
    const list = element("ul", { class: "errorlist lesson-editor-errors" });
    for (const error of errors) {
      const item = element("li", {}, error.message);
      if (Number.isInteger(error.line)) {
        const go = element("button", { type: "button", class: "lesson-editor-go" }, `Go to line ${error.line}`);
        go.addEventListener("click", () => this.goToLine(error.line));
        item.append(" ", go);
      }
      list.append(item);
    }
    this.checks.replaceChildren(heading, list);
  }

  showClaims(claims) {
    if (!claims.length) {
      this.claims.replaceChildren();
      return;
    }
    const heading = element("h3", { class: "lesson-editor-claims-title" }, "Claims in this text");
    const list = element("ul", { class: "lesson-editor-claim-list" });
    for (const claim of claims) {
      const item = element("li");
      const where = claim.line ? `Line ${claim.line}: ` : "";
      item.append(element("code", {}, claim.source));
      item.append(` — ${where}${claim.run}, claims ${claim.claimed}. `);
      item.append(element("span", { class: "lesson-editor-claim-check" }, this.lastCheck(claim.last_check)));
      list.append(item);
    }
    this.claims.replaceChildren(heading, list);
  }

  lastCheck(check) {
    if (!check) return "Not checked yet.";
    const when = new Date(check.checked_at).toLocaleString();
    const found = check.measured ? `measured ${check.measured}` : `no value (${check.reason || "the run failed"})`;
    return `Last check ${when}: ${check.passed ? "held" : "did not hold"}, ${found}.`;
  }

  goToLine(number) {
    const doc = this.view.state.doc;
    const line = doc.line(Math.min(Math.max(1, number), doc.lines));
    this.view.dispatch({ selection: { anchor: line.from }, scrollIntoView: true });
    this.view.focus();
  }
}

for (const textarea of document.querySelectorAll("textarea[data-lesson-editor]")) {
  new LessonEditor(textarea);
}
