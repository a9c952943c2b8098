/* The widget's inputs: the demo's parameters, with the catalog's bounds, and
 * the reader's guess of each version's total time.
 *
 * Values are checked here, before anything is sent, with the same bounds the
 * server enforces (they come from the same declaration through the catalog).
 * A refused value gets a message next to its field, tied to it with
 * aria-describedby and aria-invalid, and nothing is sent. The server still
 * checks everything; its refusals are shown the same way (showServerError).
 */

import { h, uniqueId } from "./dom.js";

const CITY = /^[A-Za-z0-9-]{1,40}$/;
const MAX_GUESS = 3600;

export class DemoForm {
  /**
   * `options`: yes/no choices beside the parameters, [{ name, label, hint }], read as booleans.
   * `modeNames`: each version's short name, { sync, async }, for its guess field.
   */
  constructor({ params, initial, options = [], modeNames = { sync: "sync", async: "async" } }) {
    this.fields = params.map((param) => this.makeField(param, initial[param.name]));
    this.guesses = Object.fromEntries(
      Object.entries(modeNames).map(([mode, name]) => [mode, this.makeGuessField(name)]),
    );
    this.options = options.map((option) => this.makeOption(option));
    this.formError = h("p", { class: "form-error", id: uniqueId("form-error"), role: "alert", hidden: true });
    this.actions = h("div", { class: "demo-actions" });
    this.element = h(
      "form",
      { class: "demo-form", novalidate: true },
      h(
        "div",
        { class: "demo-fields" },
        this.fields.map((field) => field.wrapper),
        h(
          "fieldset",
          { class: "field-guesses" },
          h("legend", {}, "Your guesses, in seconds"),
          h("p", { class: "field-hint" }, "Optional. Each is compared with the measured time."),
          Object.values(this.guesses).map((field) => field.wrapper),
        ),
        this.options.map((option) => option.wrapper),
      ),
      this.formError,
      this.actions,
    );
  }

  // Building ---------------------------------------------------------------

  makeField(param, given) {
    const id = uniqueId(`param-${param.name}`);
    const hint = h("span", { class: "field-hint", id: `${id}-hint` }, hintFor(param));
    const error = h("span", { class: "field-error", id: `${id}-error`, hidden: true });
    let input;
    if (param.type === "cities") {
      const value = Array.isArray(given) ? given : typeof given === "string" ? splitCities(given) : param.default;
      input = h("input", {
        id,
        name: param.name,
        type: "text",
        value: (value || []).join(", "),
        autocomplete: "off",
        autocapitalize: "none",
        spellcheck: "false",
        "aria-describedby": hint.id,
      });
    } else {
      const value = typeof given === "number" ? given : param.default;
      input = h("input", {
        id,
        name: param.name,
        type: "number",
        inputmode: param.type === "int" ? "numeric" : "decimal",
        min: param.min,
        max: param.max,
        step: param.step ?? (param.type === "int" ? 1 : "any"),
        value,
        "aria-describedby": hint.id,
      });
    }
    const wrapper = h(
      "div",
      { class: `field field-${param.type}` },
      h("label", { for: id }, param.label),
      input,
      hint,
      error,
    );
    const field = { param, input, hint, error, wrapper };
    // A fixed value stops being wrong the moment it is fixed, not at the next run.
    input.addEventListener("input", () => {
      if (input.getAttribute("aria-invalid") === "true" && this.check(field).ok) this.clearError(field);
    });
    return field;
  }

  makeGuessField(name) {
    const id = uniqueId("guess");
    const hint = h("span", { class: "visually-hidden", id: `${id}-hint` }, "Optional, in seconds.");
    const error = h("span", { class: "field-error", id: `${id}-error`, hidden: true });
    const input = h("input", {
      id,
      name: "guess",
      type: "number",
      inputmode: "decimal",
      min: 0,
      max: MAX_GUESS,
      step: "any",
      placeholder: "e.g. 3",
      "aria-describedby": hint.id,
    });
    const wrapper = h("div", { class: "field field-guess" }, h("label", { for: id }, name), input, hint, error);
    const param = { name: "guess", label: "Your guess", type: "guess", min: 0, max: MAX_GUESS };
    return { param, input, hint, error, wrapper };
  }

  makeOption({ name, label, hint }) {
    const id = uniqueId(`option-${name}`);
    const hintElement = h("span", { class: "field-hint", id: `${id}-hint` }, hint);
    const input = h("input", { id, name, type: "checkbox", "aria-describedby": hintElement.id });
    const wrapper = h(
      "div",
      { class: "field field-option" },
      h("span", { class: "option-row" }, input, h("label", { for: id }, label)),
      hintElement,
    );
    return { name, input, wrapper };
  }

  // Reading ----------------------------------------------------------------

  /**
   * The parameters, the guess and the options, or null when a value is refused: then each
   * refused field shows why and the first one gets the focus.
   */
  read() {
    this.hideFormError();
    const params = {};
    let firstBad = null;
    for (const field of this.fields) {
      const result = this.check(field);
      if (result.ok) {
        params[field.param.name] = result.value;
        this.clearError(field);
      } else {
        this.showError(field, result.message);
        firstBad ??= field;
      }
    }
    const guesses = {};
    for (const [mode, field] of Object.entries(this.guesses)) {
      const guess = this.check(field);
      if (guess.ok) {
        guesses[mode] = guess.value;
        this.clearError(field);
      } else {
        this.showError(field, guess.message);
        firstBad ??= field;
      }
    }
    if (firstBad) {
      firstBad.input.focus();
      return null;
    }
    const options = Object.fromEntries(this.options.map((option) => [option.name, option.input.checked]));
    return { params, guesses, options };
  }

  /**
   * The yes/no options alone, for a run of the reader's own code: its
   * constants replace the parameters, so they are neither read nor checked.
   */
  readOptions() {
    this.hideFormError();
    return Object.fromEntries(this.options.map((option) => [option.name, option.input.checked]));
  }

  check(field) {
    const { param, input } = field;
    const raw = input.value.trim();
    if (param.type === "cities") return checkCities(param, raw);
    if (param.type === "guess") {
      if (raw === "") return { ok: true, value: null };
      const value = Number(raw);
      if (!Number.isFinite(value) || value < 0 || value > MAX_GUESS) {
        return { ok: false, message: `Enter a number of seconds from 0 to ${MAX_GUESS}, or leave it empty.` };
      }
      return { ok: true, value };
    }
    const bounds = `from ${param.min} to ${param.max}`;
    // A number field with letters in it reports an empty value: say what is wanted.
    if (raw === "" || input.validity?.badInput) {
      return { ok: false, message: `Enter ${param.type === "int" ? "a whole number" : "a number"} ${bounds}.` };
    }
    const value = Number(raw);
    if (!Number.isFinite(value)) return { ok: false, message: `Enter a number ${bounds}.` };
    if (param.type === "int" && !Number.isInteger(value)) {
      return { ok: false, message: `${param.label} must be a whole number ${bounds}.` };
    }
    if (value < param.min || value > param.max) {
      return { ok: false, message: `${param.label} must be ${bounds}; ${raw} is out of range.` };
    }
    return { ok: true, value };
  }

  // Showing errors -----------------------------------------------------------

  showError(field, message) {
    field.error.textContent = message;
    field.error.hidden = false;
    field.input.setAttribute("aria-invalid", "true");
    field.input.setAttribute("aria-describedby", `${field.error.id} ${field.hint.id}`);
    field.wrapper.classList.add("is-invalid");
  }

  clearError(field) {
    field.error.textContent = "";
    field.error.hidden = true;
    field.input.removeAttribute("aria-invalid");
    field.input.setAttribute("aria-describedby", field.hint.id);
    field.wrapper.classList.remove("is-invalid");
  }

  /**
   * The server refused the parameters (invalid_params): its message names the
   * field ("tasks must be from 1 to 10, got 11"), so show it on that field
   * when it can be found, and above the buttons otherwise.
   */
  showServerError(message) {
    const field = this.fields.find(
      (candidate) => message.startsWith(`${candidate.param.name} `) || message.startsWith(`${candidate.param.name}:`),
    );
    if (field) {
      this.showError(field, `The server refused this value: ${message}`);
      field.input.focus();
    } else {
      this.showFormError(`The server refused the parameters: ${message}`);
    }
  }

  showFormError(message) {
    this.formError.textContent = message;
    this.formError.hidden = false;
  }

  hideFormError() {
    this.formError.textContent = "";
    this.formError.hidden = true;
  }
}

function hintFor(param) {
  if (param.type === "cities") {
    return `${param.min} to ${param.max} names, separated by commas (letters, digits, hyphens).`;
  }
  return `${param.type === "int" ? "Whole number" : "Number"} from ${param.min} to ${param.max}.`;
}

function splitCities(text) {
  return text
    .split(",")
    .map((part) => part.trim())
    .filter(Boolean);
}

function checkCities(param, raw) {
  const cities = splitCities(raw);
  if (cities.length < param.min || cities.length > param.max) {
    return {
      ok: false,
      message: `Enter ${param.min} to ${param.max} city names separated by commas; you entered ${cities.length}.`,
    };
  }
  const bad = cities.find((city) => !CITY.test(city));
  if (bad !== undefined) {
    const shown = bad.length > 40 ? `${bad.slice(0, 40)}…` : bad;
    return {
      ok: false,
      message: `“${shown}” is not a city name this demo accepts: use 1 to 40 letters, digits or hyphens.`,
    };
  }
  return { ok: true, value: cities };
}
