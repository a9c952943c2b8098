/* Makes each server-rendered quiz (<section class="quiz">) answerable.
 *
 * The markup already reads without JavaScript: the question, the choices or
 * lines, and the answer folded in a <details>. This adds the inputs, a Check
 * button and a feedback line, reading what is right from that same markup.
 * Every control is a real input or button, so the keyboard does everything the
 * mouse does; lines are put in order with Move up / Move down buttons.
 *
 * An answer is announced with a "quiz:answered" event on the section
 * ({ detail: { number, kind, right } }), for whatever keeps the reader's progress.
 */

import { h, uniqueId } from "./dom.js";

export function setUpQuizzes(sections) {
  sections.forEach((section, index) => {
    const kind = section.dataset.quiz;
    const build = { choice: choiceQuiz, order: orderQuiz, number: numberQuiz }[kind];
    if (!build || section.dataset.ready) return;
    section.dataset.ready = "true";
    const feedback = h("div", { class: "quiz-feedback", role: "status" });
    const check = build(section);
    const button = h("button", { type: "button", class: "button button-primary quiz-check", text: "Check" });
    button.addEventListener("click", () => {
      const result = check();
      feedback.replaceChildren(...result.says);
      feedback.dataset.verdict = result.verdict;
      if (result.verdict === "empty") return;
      const right = result.verdict === "right";
      section.dataset.answered = right ? "right" : "wrong";
      section.dispatchEvent(
        new CustomEvent("quiz:answered", { bubbles: true, detail: { number: index + 1, kind, right } }),
      );
    });
    const answer = section.querySelector(".quiz-answer");
    section.insertBefore(h("div", { class: "quiz-actions" }, button, feedback), answer);
  });
}

// Multiple choice ----------------------------------------------------------------

function choiceQuiz(section) {
  const list = section.querySelector(".quiz-choices");
  const several = list.dataset.several === "true";
  const verdicts = [...section.querySelectorAll(".quiz-verdicts > li")];
  const rightOf = (index) => verdicts[index]?.dataset.right === "true";
  const whyOf = (index) => verdicts[index]?.querySelector(".quiz-choice-why")?.cloneNode(true);
  const name = uniqueId("quiz");
  const question = section.querySelector(".quiz-question");
  question.id = uniqueId("quiz-question");
  const items = [...list.children];
  const inputs = items.map((item) => {
    const input = h("input", { type: several ? "checkbox" : "radio", name, value: item.dataset.choice });
    const label = h("label", { class: "quiz-option" }, input, h("span", {}, ...item.childNodes));
    item.replaceChildren(label);
    return input;
  });
  // A group named by the question, around the list: the list keeps its own role.
  const group = h("div", { role: "group", "aria-labelledby": question.id });
  list.replaceWith(group);
  group.append(list);
  if (several) group.before(h("p", { class: "quiz-hint meta", text: "Choose every answer that is right." }));

  return () => {
    items.forEach((item) => item.removeAttribute("data-verdict"));
    const chosen = inputs.filter((input) => input.checked).map((input) => Number(input.value));
    if (!chosen.length) return { verdict: "empty", says: [h("p", { text: "Choose an answer first." })] };
    const wrong = chosen.filter((index) => !rightOf(index));
    const missed = items.map((_, index) => index).filter((index) => rightOf(index) && !chosen.includes(index));
    chosen.forEach((index) => items[index].setAttribute("data-verdict", rightOf(index) ? "right" : "wrong"));
    if (!wrong.length && !missed.length) {
      const whys = chosen.map(whyOf).filter((why) => why?.textContent.trim());
      return { verdict: "right", says: [h("p", { class: "quiz-verdict", text: "Right." }), ...explained(whys), whyOfAll(section)] };
    }
    const says = [h("p", { class: "quiz-verdict", text: "Not quite." })];
    for (const index of wrong) {
      const why = whyOf(index);
      const text = items[index].querySelector("label > span").textContent.trim();
      says.push(h("p", {}, h("strong", { text: `“${text}”: ` }), ...(why?.textContent.trim() ? why.childNodes : [document.createTextNode("not right.")])));
    }
    if (!wrong.length && missed.length) says.push(h("p", { text: "Those are right, but another choice is right too." }));
    says.push(h("p", { class: "meta", text: "Change your answer and check again, or open the answer below." }));
    return { verdict: "wrong", says };
  };
}

function explained(whys) {
  return whys.map((why) => h("p", {}, ...why.childNodes));
}

function whyOfAll(section) {
  const why = section.querySelector(".quiz-answer .quiz-why");
  return why ? h("p", {}, ...why.cloneNode(true).childNodes) : null;
}

// Putting lines in order --------------------------------------------------------------

function orderQuiz(section) {
  const list = section.querySelector(".quiz-lines");
  list.setAttribute("aria-describedby", (section.querySelector(".quiz-question").id ||= uniqueId("quiz-question")));
  const status = h("p", { class: "visually-hidden", "aria-live": "polite" });
  list.after(status);

  const move = (item, by, focusClass) => {
    const items = [...list.children];
    const to = items.indexOf(item) + by;
    if (to < 0 || to >= items.length) return;
    if (by < 0) list.insertBefore(item, items[to]);
    else list.insertBefore(item, items[to].nextSibling);
    refresh();
    const text = item.querySelector(".quiz-line-text").textContent.trim();
    status.textContent = `“${text}” is now line ${to + 1} of ${items.length}.`;
    // Keep the focus on the button pressed, or on its twin when that one is now disabled.
    const again = item.querySelector(focusClass);
    (again.disabled ? item.querySelector(focusClass === ".quiz-up" ? ".quiz-down" : ".quiz-up") : again).focus();
  };

  for (const item of [...list.children]) {
    const text = h("span", { class: "quiz-line-text" }, ...item.childNodes);
    const label = text.textContent.trim();
    const up = h("button", { type: "button", class: "quiz-move quiz-up", "aria-label": `Move “${label}” up`, text: "↑" });
    const down = h("button", { type: "button", class: "quiz-move quiz-down", "aria-label": `Move “${label}” down`, text: "↓" });
    up.addEventListener("click", () => move(item, -1, ".quiz-up"));
    down.addEventListener("click", () => move(item, +1, ".quiz-down"));
    item.replaceChildren(text, h("span", { class: "quiz-moves" }, up, down));
  }
  const refresh = () => {
    const items = [...list.children];
    items.forEach((item, index) => {
      item.removeAttribute("data-verdict");
      item.querySelector(".quiz-up").disabled = index === 0;
      item.querySelector(".quiz-down").disabled = index === items.length - 1;
    });
  };
  refresh();

  return () => {
    const items = [...list.children];
    const misplaced = items.filter((item, index) => Number(item.dataset.line) !== index);
    items.forEach((item) => item.setAttribute("data-verdict", misplaced.includes(item) ? "wrong" : "right"));
    if (!misplaced.length) return { verdict: "right", says: [h("p", { class: "quiz-verdict", text: "Right: that is the order." }), whyOfAll(section)] };
    const placed = items.length - misplaced.length;
    return {
      verdict: "wrong",
      says: [
        h("p", { class: "quiz-verdict", text: "Not quite." }),
        h("p", { text: `${placed} of ${items.length} lines are in their place; the others are marked. Move them and check again.` }),
      ],
    };
  };
}

// A number within a tolerance ---------------------------------------------------------

function numberQuiz(section) {
  const holder = section.querySelector(".quiz-number");
  const answer = Number(holder.dataset.answer);
  const tolerance = Number(holder.dataset.tolerance);
  const unit = holder.dataset.unit;
  const id = uniqueId("quiz-number");
  const input = h("input", { id, type: "text", inputmode: "decimal", autocomplete: "off", class: "quiz-input", size: 8 });
  holder.replaceChildren(
    h("label", { for: id, text: "Your answer" }),
    " ",
    input,
    unit ? h("span", { class: "quiz-unit", text: ` ${unit}` }) : null,
  );
  input.addEventListener("keydown", (event) => {
    if (event.key === "Enter") section.querySelector(".quiz-check")?.click();
  });
  const miss = (side) => {
    const text = section.querySelector(`.quiz-miss[data-miss="${side}"]`);
    return text ? h("p", {}, ...text.cloneNode(true).childNodes) : null;
  };

  return () => {
    const typed = input.value.trim().replace(",", ".");
    const value = typed === "" ? NaN : Number(typed);
    if (!Number.isFinite(value)) {
      return { verdict: "empty", says: [h("p", { text: "Type a number, such as 1.5." })] };
    }
    const off = value - answer;
    if (Math.abs(off) <= tolerance + 1e-9) {
      return { verdict: "right", says: [h("p", { class: "quiz-verdict", text: `Right: ${format(answer)}${unit ? ` ${unit}` : ""}.` }), whyOfAll(section)] };
    }
    const side = off < 0 ? "low" : "high";
    return {
      verdict: "wrong",
      says: [h("p", { class: "quiz-verdict", text: `Not quite: ${format(value)} is too ${side}.` }), miss(side)],
    };
  };
}

function format(value) {
  return String(Number(value.toPrecision(6)));
}
