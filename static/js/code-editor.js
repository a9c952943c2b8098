/* A Python code editor: CodeMirror 6 (static/vendor/), set up for readers.
 *
 * It lives in a shadow root, for the site's Content-Security-Policy:
 * CodeMirror styles itself through style-mod, which writes a <style> element
 * into a document (refused by style-src 'self') but gives a shadow root a
 * constructed stylesheet (adoptedStyleSheets), which the policy does not
 * govern. The site's own rules for the editor come in with a <link> to
 * code-editor.css inside the shadow root, as allowed as any stylesheet of the
 * site; custom properties cross the shadow boundary, so the colours are the
 * site's (highlight.css, site.css) and follow its light and dark themes.
 * Tokens get classHighlighter's "tok-…" classes, coloured in code-editor.css.
 *
 * The hint that describes the editor is inside the shadow root too:
 * aria-describedby cannot point out of it.
 *
 * Tab indents, as Python writers expect; a keyboard user leaves the editor
 * with Escape then Tab (CodeMirror lets that Tab through), or switches Tab
 * back to moving focus with Ctrl-M. The page says so in a visible hint.
 *
 * mark() highlights lines (an error's line, where a task is paused) with a
 * few words at the end of the line, like the read-only listing's marks.
 */

import { EditorState, StateEffect, StateField } from "../vendor/codemirror/state/index.js";
import {
  Decoration,
  EditorView,
  WidgetType,
  highlightSpecialChars,
  keymap,
  lineNumbers,
} from "../vendor/codemirror/view/index.js";
import { defaultKeymap, history, historyKeymap, indentWithTab } from "../vendor/codemirror/commands/index.js";
import {
  bracketMatching,
  indentOnInput,
  indentUnit,
  syntaxHighlighting,
} from "../vendor/codemirror/language/index.js";
import { python } from "../vendor/codemirror/lang-python/index.js";
import { classHighlighter } from "../vendor/lezer/highlight/index.js";

const setMarks = StateEffect.define();
const STYLESHEET = "code-editor.css";

/** The URL the page loaded code-editor.css from (hashed in production), or the plain one. */
function stylesheetUrl() {
  const link = [...document.querySelectorAll('link[rel="stylesheet"]')].find((candidate) =>
    new URL(candidate.href).pathname.split("/").pop().startsWith(STYLESHEET.replace(".css", ".")),
  );
  return link ? link.href : new URL(`../css/${STYLESHEET}`, import.meta.url).href;
}

let hintSerial = 0;

class MarkText extends WidgetType {
  constructor(text) {
    super();
    this.text = text;
  }

  eq(other) {
    return other.text === this.text;
  }

  toDOM() {
    const mark = document.createElement("span");
    mark.className = "code-mark";
    const arrow = document.createElement("span");
    arrow.setAttribute("aria-hidden", "true");
    arrow.textContent = "◀ ";
    mark.append(arrow, this.text);
    return mark;
  }
}

// The marked lines, kept through edits (they move with the text around them).
const marksField = StateField.define({
  create: () => Decoration.none,
  update(marks, transaction) {
    let next = marks.map(transaction.changes);
    for (const effect of transaction.effects) {
      if (effect.is(setMarks)) next = effect.value;
    }
    return next;
  },
  provide: (field) => EditorView.decorations.from(field),
});

// Sizes and chrome only; every colour is a site custom property.
const siteTheme = EditorView.theme({
  "&": {
    color: "var(--code-text)",
    backgroundColor: "var(--code-bg)",
    fontSize: "0.78rem",
  },
  // The site's focus ring (site.css :focus-visible), around the whole editor.
  "&.cm-focused": { outline: "3px solid var(--focus)", outlineOffset: "2px" },
  ".cm-scroller": { fontFamily: "var(--font-mono)", lineHeight: "1.55", maxHeight: "36rem" },
  ".cm-content": { caretColor: "var(--code-text)", padding: "0.6rem 0" },
  ".cm-cursor, .cm-dropCursor": { borderLeftColor: "var(--code-text)" },
  ".cm-gutters": {
    backgroundColor: "var(--code-bg)",
    color: "var(--code-comment)",
    borderRight: "1px solid var(--border)",
  },
  ".cm-line.is-marked": { backgroundColor: "var(--code-line-hl)" },
  "&.cm-focused .cm-matchingBracket": {
    backgroundColor: "var(--code-line-hl)",
    outline: "1px solid var(--border-strong)",
  },
  "&.cm-focused .cm-nonmatchingBracket": { color: "var(--code-error)" },
});

export class CodeEditor {
  /**
   * `doc`: the text to start with; `label`: the editor's accessible name;
   * `hint`: a visible sentence above it that describes it; `onChange(code)`: after each edit.
   */
  constructor({ doc, label, hint = "", onChange = () => {} }) {
    this.element = document.createElement("div");
    this.element.className = "code-editor-host";
    const shadow = this.element.attachShadow({ mode: "open" });
    const sheet = document.createElement("link");
    sheet.rel = "stylesheet";
    sheet.href = stylesheetUrl();
    shadow.append(sheet);
    // A contenteditable is a tab stop already; saying so outright lets checkers
    // (axe) see that the scrolling box around it can be reached by keyboard.
    const contentAttributes = { "aria-label": label, tabindex: "0" };
    if (hint) {
      hintSerial += 1;
      const paragraph = document.createElement("p");
      paragraph.className = "editor-hint";
      paragraph.id = `code-editor-hint-${hintSerial}`;
      paragraph.textContent = hint;
      shadow.append(paragraph);
      contentAttributes["aria-describedby"] = paragraph.id;
    }
    this.view = new EditorView({
      parent: shadow,
      root: shadow,
      state: EditorState.create({
        doc,
        extensions: [
          lineNumbers(),
          highlightSpecialChars(),
          history(),
          indentOnInput(),
          bracketMatching(),
          indentUnit.of("    "),
          EditorState.tabSize.of(4),
          python(),
          syntaxHighlighting(classHighlighter),
          keymap.of([...defaultKeymap, ...historyKeymap, indentWithTab]),
          marksField,
          siteTheme,
          EditorView.contentAttributes.of(contentAttributes),
          // Through the facet: CodeMirror rewrites the class of its element as it updates.
          EditorView.editorAttributes.of({ class: "code-editor" }),
          EditorView.updateListener.of((update) => {
            if (update.docChanged) onChange(this.code);
          }),
        ],
      }),
    });
  }

  get code() {
    return this.view.state.doc.toString();
  }

  /** Replaces the whole text (a reset): one undoable change, marks dropped. */
  setCode(text) {
    this.view.dispatch({
      changes: { from: 0, to: this.view.state.doc.length, insert: text },
      effects: setMarks.of(Decoration.none),
    });
  }

  get lineCount() {
    return this.view.state.doc.lines;
  }

  /**
   * Marks lines, in place of any marked before: `marks` is
   * [{ line (from 1), kind ("error" | "paused" | "blocked"), text }]. Lines
   * outside the text are skipped. The first mark is scrolled into view.
   */
  mark(marks) {
    const doc = this.view.state.doc;
    const ranges = [];
    for (const { line, kind, text } of [...marks].sort((a, b) => a.line - b.line)) {
      if (!Number.isInteger(line) || line < 1 || line > doc.lines) continue;
      const at = doc.line(line);
      ranges.push(Decoration.line({ class: "is-marked", attributes: { "data-mark": kind } }).range(at.from));
      if (text) ranges.push(Decoration.widget({ widget: new MarkText(text), side: 1 }).range(at.to));
    }
    const effects = [setMarks.of(Decoration.set(ranges, true))];
    const first = marks.find(({ line }) => Number.isInteger(line) && line >= 1 && line <= doc.lines);
    if (first) effects.push(EditorView.scrollIntoView(doc.line(first.line).from, { y: "center" }));
    this.view.dispatch({ effects });
  }

  clearMarks() {
    this.view.dispatch({ effects: setMarks.of(Decoration.none) });
  }

  /** Puts the cursor at the start of `line` and the focus in the editor. */
  goToLine(line) {
    const doc = this.view.state.doc;
    const at = doc.line(Math.min(Math.max(1, line), doc.lines));
    this.view.dispatch({ selection: { anchor: at.from }, scrollIntoView: true });
    this.view.focus();
  }

  focus() {
    this.view.focus();
  }

  destroy() {
    this.view.destroy();
  }
}
