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
let widgetsReady = Promise.resolve(() => null);
if (demos.length) {
  const { body } = document;
  widgetsReady = import("./demos.js").then(({ mountDemos, widgetFor }) =>
    mountDemos(demos, {
      catalogUrl: body.dataset.demoCatalog || "/demos/catalog.json",
      socketPath: body.dataset.demoSocket || "/ws/demos/",
    }).then(() => (name) => {
      const root = demos.find((element) => element.dataset.demo === name);
      return root ? widgetFor(root) : null;
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

// A shared run's page replays it; it reads without this.
const sharedRun = document.querySelector("article[data-shared-run]");
if (sharedRun) import("./replay.js").then(({ mountReplay }) => mountReplay(sharedRun));

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

// Classroom rooms: staff open one from the lesson; readers who came by its link
// follow it. Once the widgets are built, so the teacher's runs have somewhere to go.
const roomArticle = document.querySelector("article.lesson[data-lesson-id]");
const roomWanted = roomArticle && ("roomTeacher" in roomArticle.dataset || new URLSearchParams(window.location.search).has("room"));
if (roomWanted) {
  Promise.all([import("./room.js"), import("./demo-socket.js"), widgetsReady]).then(
    ([{ setUpRoom }, socketModule, widgetOf]) =>
      setUpRoom({
        article: roomArticle,
        socketModule,
        widgetOf,
        socketPath: document.body.dataset.demoSocket || "/ws/demos/",
      }),
  );
}
