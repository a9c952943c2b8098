/* How times and numbers are written for the reader, in one place. */

/** Server seconds as the console and the table show them: "0.20 s". */
export function seconds(value) {
  return `${Number(value).toFixed(2)} s`;
}

/** A reader's guess as they typed it, without trailing zeros: "3 s", "2.5 s". */
export function guessText(value) {
  return `${Number(value.toFixed(2))} s`;
}

/** "2.9×" for a speed-up ratio. */
export function ratio(value) {
  return `${value >= 10 ? value.toFixed(0) : value.toFixed(1)}×`;
}

/** A version's name inside a sentence: "the async run", "the “Create a task” run". */
export function inSentence(name) {
  return /\s/.test(name) ? `“${name}”` : name;
}
