/* A list whose items the reader puts in order with Move up / Move down buttons.
 *
 * Used by quizzes (quiz.js, on markup the server wrote) and by a demo's
 * prediction of the order of its lines (demo-widget.js, on markup built by
 * orderableItem). Each item holds .quiz-line-text and the two buttons, and
 * data-line: its place in the right order. The focus stays with the line
 * that moved, so a keyboard user can go on pressing; a live region says
 * where it went.
 */

import { h } from "./dom.js";

export function orderableItem(text, line) {
  return h(
    "li",
    { "data-line": line },
    h("span", { class: "quiz-line-text", text }),
    h(
      "span",
      { class: "quiz-moves" },
      h("button", { type: "button", class: "quiz-move quiz-up", "aria-label": `Move “${text}” up`, text: "↑" }),
      h("button", { type: "button", class: "quiz-move quiz-down", "aria-label": `Move “${text}” down`, text: "↓" }),
    ),
  );
}

/** Wires the buttons of `list`'s items; `moved`, a live region for where a line went. */
export function makeOrderable(list, moved) {
  const refresh = () => {
    const items = [...list.children];
    items.forEach((item, index) => {
      delete item.dataset.verdict;
      item.querySelector(".quiz-up").disabled = index === 0;
      item.querySelector(".quiz-down").disabled = index === items.length - 1;
    });
  };
  const move = (item, by, pressed) => {
    const items = [...list.children];
    const to = items.indexOf(item) + by;
    if (to < 0 || to >= items.length) return;
    if (by < 0) list.insertBefore(item, items[to]);
    else list.insertBefore(item, items[to].nextSibling);
    refresh();
    const text = item.querySelector(".quiz-line-text").textContent.trim();
    if (moved) moved.textContent = `“${text}” is now line ${to + 1} of ${items.length}.`;
    // The focus stays with the line; on its other button once this one is disabled.
    const again = item.querySelector(pressed);
    (again.disabled ? item.querySelector(pressed === ".quiz-up" ? ".quiz-down" : ".quiz-up") : again).focus();
  };
  for (const item of list.children) {
    item.querySelector(".quiz-up").addEventListener("click", () => move(item, -1, ".quiz-up"));
    item.querySelector(".quiz-down").addEventListener("click", () => move(item, +1, ".quiz-down"));
  }
  refresh();
}

/** The lines' texts in the order the reader has them now. */
export function currentOrder(list) {
  return [...list.children].map((item) => item.querySelector(".quiz-line-text").textContent.trim());
}

/** Marks each item right or wrong against `order` (texts); how many are in their place. */
export function markAgainst(list, order) {
  let placed = 0;
  [...list.children].forEach((item, index) => {
    const right = item.querySelector(".quiz-line-text").textContent.trim() === order[index];
    item.dataset.verdict = right ? "right" : "wrong";
    placed += right;
  });
  return placed;
}
