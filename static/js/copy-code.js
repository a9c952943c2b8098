/* A "Copy" button on each code block of a lesson.
 *
 * The code stays plain server-rendered HTML (readable and selectable without
 * JavaScript); this only adds a small bar with the language and the button.
 */

import { focusableWhileScrolling, h } from "./dom.js";

const RESET_AFTER_MS = 2000;

export function addCopyButtons(scope) {
  const announcer = h("p", { class: "visually-hidden", role: "status" });
  let added = false;
  for (const pre of scope.querySelectorAll("pre.highlight")) {
    if (pre.closest(".demo, .code-block")) continue;
    const code = pre.querySelector("code") || pre;
    const language = languageOf(code);
    const text = h("span", {}, "Copy");
    // The hidden words make each button's name unique ("Copy python code").
    const button = h(
      "button",
      { type: "button", class: "copy-button" },
      text,
      h("span", { class: "visually-hidden" }, ` ${language || "the"} code`),
    );
    const bar = h("div", { class: "code-block-bar" }, h("span", { class: "code-lang" }, language), button);
    const block = h("div", { class: "code-block" });
    pre.replaceWith(block);
    block.append(bar, pre);
    // A long line scrolls sideways: keyboard users must be able to reach it.
    focusableWhileScrolling(pre);
    button.addEventListener("click", async () => {
      const ok = await copyText(code.textContent);
      text.textContent = ok ? "Copied" : "Selected";
      if (ok) button.dataset.copied = "";
      announcer.textContent = ok
        ? "Code copied to the clipboard."
        : "Could not copy automatically; the code is selected, copy it with your keyboard.";
      if (!ok) selectContents(code);
      window.setTimeout(() => {
        text.textContent = "Copy";
        delete button.dataset.copied;
        announcer.textContent = "";
      }, RESET_AFTER_MS);
    });
    added = true;
  }
  if (added) document.body.append(announcer);
}

function languageOf(code) {
  const match = /(?:^|\s)language-([\w+-]+)/.exec(code.className || "");
  return match && match[1] !== "text" ? match[1] : "";
}

/** Puts `text` on the clipboard; false when the browser would not. */
export async function copyText(text) {
  try {
    await navigator.clipboard.writeText(text);
    return true;
  } catch {
    return false; // no clipboard API (insecure origin) or permission refused
  }
}

export function selectContents(element) {
  const range = document.createRange();
  range.selectNodeContents(element);
  const selection = window.getSelection();
  selection.removeAllRanges();
  selection.addRange(range);
}
