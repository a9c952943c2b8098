/* The reader's progress, kept in this browser only: no account, nothing sent.
 *
 * Per lesson (by its id): when it was opened, whether its end was reached,
 * how many demo runs finished, the last verdict on each of its questions, and
 * which of its exercises were passed (exercise.js grades nothing itself: the
 * server's verdict comes as an "exercise:passed" event).
 * The course page shows each lesson's state, the home page offers to go on
 * with the last lesson opened, and "Start over" clears one lesson or all.
 *
 * Every place it writes into is in the page from the start, its room kept by
 * CSS (.js-only), so filling it moves nothing. With storage blocked (privacy
 * settings, a full quota) none of this shows and nothing fails.
 */

import { h } from "./dom.js";

const KEY = "progress-v1";

/** The store, or null when this browser will not keep anything. */
export function openProgress() {
  try {
    const probe = `${KEY}-probe`;
    window.localStorage.setItem(probe, "1");
    window.localStorage.removeItem(probe);
    return new Progress(window.localStorage);
  } catch {
    return null;
  }
}

class Progress {
  constructor(storage) {
    this.storage = storage;
  }

  read() {
    try {
      const data = JSON.parse(this.storage.getItem(KEY) || "null");
      if (data && typeof data === "object" && data.lessons && typeof data.lessons === "object") return data;
    } catch {
      // Unreadable (written by hand, or cut short): start again rather than fail.
    }
    return { lessons: {}, last: null };
  }

  write(data) {
    try {
      this.storage.setItem(KEY, JSON.stringify(data));
      return true;
    } catch {
      return false; // a full quota: the page goes on without it
    }
  }

  lesson(id) {
    return this.read().lessons[id] ?? null;
  }

  update(id, change) {
    const data = this.read();
    const lesson = data.lessons[id] ?? { opened: Date.now(), read: false, runs: 0, quizzes: {} };
    change(lesson, data);
    data.lessons[id] = lesson;
    this.write(data);
  }

  forget(id) {
    const data = this.read();
    delete data.lessons[id];
    if (data.last === id) data.last = null;
    this.write(data);
  }

  forgetAll() {
    try {
      this.storage.removeItem(KEY);
    } catch {
      // Nothing kept, nothing to clear.
    }
  }
}

/** One line about a lesson's state: "Read · 3 of 4 questions right · 2 demo runs". */
export function describe(lesson, questions) {
  if (!lesson) return "Not started";
  const parts = [lesson.read ? "Read" : "Opened"];
  const verdicts = Object.values(lesson.quizzes ?? {});
  if (questions > 0 && verdicts.length) {
    const right = verdicts.filter((verdict) => verdict === "right").length;
    parts.push(`${right} of ${questions} question${questions === 1 ? "" : "s"} right`);
  }
  const passed = Object.keys(lesson.exercises ?? {}).length;
  if (lesson.exerciseCount > 0 && passed) {
    parts.push(`${passed} of ${lesson.exerciseCount} exercise${lesson.exerciseCount === 1 ? "" : "s"} passed`);
  }
  if (lesson.runs) parts.push(`${lesson.runs} demo run${lesson.runs === 1 ? "" : "s"}`);
  return parts.join(" · ");
}

// The lesson page ----------------------------------------------------------------------

export function followLesson(progress, article) {
  const id = article.dataset.lessonId;
  const title = article.querySelector("h1")?.textContent.trim() ?? "";
  const quizzes = [...article.querySelectorAll(".quiz[data-quiz]")];
  const exercises = [...article.querySelectorAll(".exercise[data-exercise]")];
  progress.update(id, (lesson, data) => {
    Object.assign(lesson, {
      title,
      url: window.location.pathname,
      questions: quizzes.length,
      exerciseCount: exercises.length,
    });
    lesson.opened = Date.now();
    data.last = id;
  });
  showEarlierAnswers(progress.lesson(id), quizzes);
  showEarlierPasses(progress.lesson(id), exercises);

  // Read once the end of the text has been on screen.
  const end = article.querySelector(".lesson-body")?.lastElementChild;
  if (end && "IntersectionObserver" in window) {
    const watcher = new IntersectionObserver((entries) => {
      if (!entries.some((entry) => entry.isIntersecting)) return;
      watcher.disconnect();
      progress.update(id, (lesson) => (lesson.read = true));
    });
    watcher.observe(end);
  }
  article.addEventListener("demo:finished", (event) => {
    if (event.detail.outcome !== "cancelled") progress.update(id, (lesson) => (lesson.runs += 1));
  });
  article.addEventListener("quiz:answered", (event) => {
    const { number, right } = event.detail;
    progress.update(id, (lesson) => (lesson.quizzes[number] = right ? "right" : "wrong"));
  });
  article.addEventListener("exercise:passed", (event) => {
    const { number } = event.detail;
    progress.update(id, (lesson) => {
      lesson.exercises ??= {};
      lesson.exercises[number] = "passed";
    });
  });
  const reset = article.querySelector("[data-progress-reset]");
  if (reset) {
    offerStartOver(reset, {
      ask: "Clear what this browser kept about this lesson: read, demo runs, your answers and exercises?",
      done: "Cleared. This lesson starts afresh when you next open it.",
      clear: () => progress.forget(id),
    });
  }
}

function showEarlierAnswers(lesson, quizzes) {
  quizzes.forEach((section, index) => {
    const verdict = lesson?.quizzes?.[index + 1];
    const kicker = section.querySelector(".quiz-kicker");
    if (!verdict || !kicker) return;
    section.dataset.before = verdict;
    kicker.append(
      h("span", { class: "quiz-before", text: verdict === "right" ? " · right last time" : " · not yet right" }),
    );
  });
}

function showEarlierPasses(lesson, exercises) {
  exercises.forEach((section, index) => {
    const kicker = section.querySelector(".exercise-kicker");
    if (lesson?.exercises?.[index + 1] !== "passed" || !kicker) return;
    section.dataset.before = "passed";
    kicker.append(h("span", { class: "exercise-before", text: " · passed before" }));
  });
}

// The course page and the home page -------------------------------------------------------

export function showCourse(progress, page) {
  const lessons = progress.read().lessons;
  for (const slot of page.querySelectorAll("[data-progress-for]")) {
    const lesson = lessons[slot.dataset.progressFor] ?? null;
    slot.textContent = describe(lesson, lesson?.questions ?? 0);
    slot.dataset.state = !lesson ? "new" : lesson.read ? "read" : "opened";
  }
  const reset = page.querySelector("[data-progress-reset]");
  if (reset) {
    offerStartOver(reset, {
      ask: "Clear everything this browser kept about your progress, in every course?",
      done: "Cleared. Every lesson starts afresh.",
      clear: () => {
        progress.forgetAll();
        showCourse(progress, page);
      },
    });
  }
}

export function showContinue(progress, slot) {
  const data = progress.read();
  const last = data.last ? data.lessons[data.last] : null;
  if (!last?.url || !last.url.startsWith("/")) return;
  slot.replaceChildren("Continue where you left off: ", h("a", { href: last.url, text: last.title || "your last lesson" }));
}

/** "Start over" with a confirmation in place: nothing is cleared on a single press. */
function offerStartOver(root, { ask, done, clear }) {
  const start = root.querySelector("[data-action='start-over']");
  const confirm = root.querySelector(".progress-confirm");
  const question = root.querySelector(".progress-question");
  const note = root.querySelector(".progress-note");
  if (!start || !confirm || !question || !note) return;
  question.textContent = ask;
  start.addEventListener("click", () => {
    note.textContent = "";
    start.hidden = true;
    confirm.hidden = false;
    confirm.querySelector("[data-action='cancel']").focus();
  });
  const close = (message) => {
    confirm.hidden = true;
    start.hidden = false;
    note.textContent = message;
    start.focus();
  };
  confirm.querySelector("[data-action='confirm']").addEventListener("click", () => {
    clear();
    close(done);
  });
  confirm.querySelector("[data-action='cancel']").addEventListener("click", () => close("Nothing was cleared."));
}
