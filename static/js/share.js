/* "Share the … run" under a finished run: the address of its replay, with a
 * Copy button.
 *
 * The widget asks the server (onShare) and calls show(url) or fail(text) with
 * the answer. The address sits in a read-only text field, so it can be read,
 * selected and copied by hand as well; "Link copied" is said in a status
 * region. A new run of the mode puts the button back (offer).
 */

import { copyText } from "./copy-code.js";
import { h, uniqueId } from "./dom.js";
import { inSentence } from "./format.js";

export class ShareBox {
  constructor({ mode, name, onShare }) {
    this.run = null;
    this.button = h(
      "button",
      { type: "button", class: "demo-button button-quiet", "data-action": "share", "data-mode": mode },
      `Share the ${inSentence(name)} run`,
    );
    this.button.addEventListener("click", () => {
      if (this.button.getAttribute("aria-disabled") === "true") return;
      onShare();
    });
    const fieldId = uniqueId("share-url");
    this.input = h("input", { type: "text", id: fieldId, class: "share-url", readonly: true, spellcheck: "false" });
    this.input.addEventListener("focus", () => this.input.select());
    this.copy = h("button", { type: "button", class: "demo-button", "data-action": "copy-link" }, "Copy link");
    this.copy.addEventListener("click", () => this.copyLink());
    this.open = h("a", { class: "share-open", href: "#" }, "Open the replay");
    this.link = h(
      "div",
      { class: "share-link", hidden: true },
      h("label", { for: fieldId, class: "share-label" }, `Link to the ${inSentence(name)} run`),
      h("div", { class: "share-row" }, this.input, this.copy),
      this.open,
    );
    this.status = h("p", { class: "share-status", role: "status" });
    this.element = h("div", { class: "demo-share", "data-mode": mode, hidden: true }, this.button, this.link, this.status);
  }

  /** Shows the button under `run` when it can be shared; a new run starts afresh. */
  offer(run, shareable) {
    if (run !== this.run) {
      this.run = run;
      this.link.hidden = true;
      this.button.hidden = false;
      this.button.removeAttribute("aria-disabled");
      this.status.textContent = "";
    }
    this.element.hidden = !shareable;
  }

  waiting() {
    this.button.setAttribute("aria-disabled", "true");
    this.status.textContent = "Sharing…";
  }

  show(url) {
    this.input.value = url;
    this.open.href = url;
    this.button.hidden = true;
    this.link.hidden = false;
    this.status.textContent = "Shared: anyone with the link can replay this run.";
    this.copy.focus();
  }

  fail(text) {
    this.button.removeAttribute("aria-disabled");
    this.status.textContent = text;
  }

  async copyLink() {
    const copied = await copyText(this.input.value);
    if (copied) {
      // Emptied first, so that a second copy is announced again.
      this.status.textContent = "";
      window.setTimeout(() => {
        this.status.textContent = "Link copied";
      }, 50);
    } else {
      this.input.focus();
      this.input.select();
      this.status.textContent = "Could not copy automatically; the link is selected, copy it with your keyboard.";
    }
  }
}
