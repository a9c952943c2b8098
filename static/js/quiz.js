/* Makes each server-rendered quiz (<section class="quiz">) answerable.
 *
 * The markup already holds everything a reader presses (lessons/quiz_html.py):
 * inputs, Move up / Move down buttons for lines to order, and Check, which CSS
 * shows only where scripts run. This wires them and reads what is right from
 * the same markup; it adds nothing to the page before the reader acts, so no
 * text moves as it starts.
 *
 * An answer is announced with a "quiz:answered" event on the section
 * ({ detail: { number, kind, right } }), for whatever keeps the reader's progress.
 */

import { h } from "./dom.js";
import { makeOrderable, markAgainst } from "./orderable.js";

export function setUpQuizzes(sections) {
  sections.forEach((section, index) => {
    const kind = section.dataset.quiz;
    const build = { choice: choiceQuiz, order: orderQuiz, number: numberQuiz }[kind];
    const button = section.querySelector(".quiz-check");
    const feedback = section.querySelector(".quiz-feedback");
    if (!build || !button || !feedback || section.dataset.ready) return;
    section.dataset.ready = "true";
    const check = build(section);
    button.addEventListener("click", () => {
      const result = check();
      feedback.replaceChildren(...result.says.filter(Boolean));
      feedback.dataset.verdict = result.verdict;
      if (result.verdict === "empty") return;
      const right = result.verdict === "right";
      section.dataset.answered = right ? "right" : "wrong";
      section.dispatchEvent(
        new CustomEvent("quiz:answered", { bubbles: true, detail: { number: index + 1, kind, right } }),
      );
    });
  });
}

/** A copy of the inline HTML of the element matched in `section`, as a paragraph, or null. */
function paragraphOf(section, selector) {
  const source = section.querySelector(selector);
  return source?.textContent.trim() ? h("p", {}, ...source.cloneNode(true).childNodes) : null;
}

function verdict(text) {
  return h("p", { class: "quiz-verdict", text });
}

// Multiple choice ----------------------------------------------------------------

function choiceQuiz(section) {
  const items = [...section.querySelectorAll(".quiz-choices > li")];
  const inputs = items.map((item) => item.querySelector("input"));
  const verdicts = [...section.querySelectorAll(".quiz-verdicts > li")];
  const rightOf = (index) => verdicts[index]?.dataset.right === "true";
  const whyOf = (index) => `.quiz-verdicts > li[data-choice="${index}"] .quiz-choice-why`;
  inputs.forEach((input) => input.addEventListener("change", () => items.forEach((item) => delete item.dataset.verdict)));

  return () => {
    items.forEach((item) => delete item.dataset.verdict);
    const chosen = inputs.filter((input) => input.checked).map((input) => Number(input.value));
    if (!chosen.length) return { verdict: "empty", says: [h("p", { text: "Choose an answer first." })] };
    const wrong = chosen.filter((index) => !rightOf(index));
    const missed = items.map((_, index) => index).filter((index) => rightOf(index) && !chosen.includes(index));
    chosen.forEach((index) => (items[index].dataset.verdict = rightOf(index) ? "right" : "wrong"));
    if (!wrong.length && !missed.length) {
      return {
        verdict: "right",
        says: [verdict("Right."), ...chosen.map((index) => paragraphOf(section, whyOf(index))), paragraphOf(section, ".quiz-answer .quiz-why")],
      };
    }
    const says = [verdict("Not quite.")];
    for (const index of wrong) {
      const text = items[index].textContent.trim();
      const why = section.querySelector(whyOf(index));
      const explained = why?.textContent.trim() ? why.cloneNode(true).childNodes : [document.createTextNode(" Not right.")];
      says.push(h("p", {}, h("strong", { text: `“${text}”:` }), ...explained));
    }
    if (!wrong.length) says.push(h("p", { text: "Those are right, but another choice is right too." }));
    says.push(h("p", { class: "meta", text: "Change your answer and check again, or open the answer below." }));
    return { verdict: "wrong", says };
  };
}

// Putting lines in order --------------------------------------------------------------

function orderQuiz(section) {
  const list = section.querySelector(".quiz-lines");
  makeOrderable(list, section.querySelector(".quiz-moved"));
  const right = [...section.querySelectorAll(".quiz-right-order > li")].map((item) => item.textContent.trim());

  return () => {
    const items = list.children.length;
    const placed = markAgainst(list, right);
    if (placed === items) {
      return { verdict: "right", says: [verdict("Right: that is the order."), paragraphOf(section, ".quiz-answer .quiz-why")] };
    }
    return {
      verdict: "wrong",
      says: [
        verdict("Not quite."),
        h("p", { text: `${placed} of ${items} lines are in their place; the others are marked. Move them and check again.` }),
      ],
    };
  };
}

// A number within a tolerance ---------------------------------------------------------

function numberQuiz(section) {
  const holder = section.querySelector(".quiz-number");
  const input = holder.querySelector("input");
  const answer = Number(holder.dataset.answer);
  const tolerance = Number(holder.dataset.tolerance);
  const unit = holder.dataset.unit ? ` ${holder.dataset.unit}` : "";
  input.addEventListener("keydown", (event) => {
    if (event.key === "Enter") section.querySelector(".quiz-check").click();
  });

  return () => {
    const typed = input.value.trim().replace(",", ".");
    const value = typed === "" ? NaN : Number(typed);
    if (!Number.isFinite(value)) return { verdict: "empty", says: [h("p", { text: "Type a number, such as 1.5." })] };
    const off = value - answer;
    if (Math.abs(off) <= tolerance + 1e-9) {
      return { verdict: "right", says: [verdict(`Right: ${format(answer)}${unit}.`), paragraphOf(section, ".quiz-answer .quiz-why")] };
    }
    const side = off < 0 ? "low" : "high";
    return {
      verdict: "wrong",
      says: [verdict(`Not quite: ${format(value)} is too ${side}.`), paragraphOf(section, `.quiz-miss[data-miss="${side}"]`)],
    };
  };
}

function format(value) {
  return String(Number(value.toPrecision(6)));
}
