/* The page's entry module: wires the small pieces that each page may have.
 *
 * Everything here improves a page that already works without JavaScript;
 * only the live demos need it (and answering quizzes), and they are loaded
 * only where there are some.
 */

import { addCopyButtons } from "./copy-code.js";
import { setUpThemeToggle } from "./theme-toggle.js";
import { setUpToc } from "./toc.js";

setUpThemeToggle(document.querySelector("[data-theme-toggle]"));
setUpToc(document.querySelector(".toc"));

const lessonBody = document.querySelector(".lesson-body");
if (lessonBody) addCopyButtons(lessonBody);

const quizzes = [...document.querySelectorAll(".quiz[data-quiz]")];
if (quizzes.length) import("./quiz.js").then(({ setUpQuizzes }) => setUpQuizzes(quizzes));

const demos = [...document.querySelectorAll(".demo[data-demo]")];
if (demos.length) {
  const { body } = document;
  import("./demos.js").then(({ mountDemos }) =>
    mountDemos(demos, {
      catalogUrl: body.dataset.demoCatalog || "/demos/catalog.json",
      socketPath: body.dataset.demoSocket || "/ws/demos/",
    }),
  );
}

// Graded exercises run on the same socket as the demos.
const exercises = [...document.querySelectorAll(".exercise[data-exercise]")];
const exerciseLesson = document.querySelector("article.lesson[data-lesson-id]");
if (exercises.length && exerciseLesson) {
  Promise.all([import("./exercise.js"), import("./demo-socket.js")]).then(([{ setUpExercises }, { sharedSocket }]) =>
    setUpExercises(exercises, {
      socket: sharedSocket(document.body.dataset.demoSocket || "/ws/demos/"),
      lessonId: exerciseLesson.dataset.lessonId,
    }),
  );
}

// The reader's progress, kept in this browser: only where there is something to show or keep.
const lessonPage = document.querySelector("article.lesson[data-lesson-id]");
const courseProgress = document.querySelector("[data-progress-for]");
const continueSlot = document.querySelector("[data-continue]");
if (lessonPage || courseProgress || continueSlot) {
  import("./progress.js").then(({ openProgress, followLesson, showCourse, showContinue }) => {
    const progress = openProgress();
    if (!progress) return;
    if (lessonPage) followLesson(progress, lessonPage);
    if (courseProgress) showCourse(progress, document.querySelector("main"));
    if (continueSlot) showContinue(progress, continueSlot);
  });
}

// Live lesson updates ride on the same socket as the demos: a reader is told
// when staff save the lesson being read.
const lessonArticle = document.querySelector("article.lesson[data-lesson-id]");
if (lessonArticle) {
  Promise.all([import("./lesson-updates.js"), import("./demo-socket.js")]).then(
    ([{ watchLessonUpdates }, socketModule]) =>
      watchLessonUpdates(socketModule, { article: lessonArticle }),
  );
}
