/* Live lesson updates: tells the reader when staff save the lesson they are reading.
 *
 * It rides on the page's one demo socket. Whenever the socket opens (again after
 * every reconnect: the server forgets a closed connection's watches) it sends
 * {"type": "watch", "lesson": id}. A "lesson_updated" for this lesson, newer
 * than the version the page shows, puts up a polite notice with a Reload
 * button; the text on the page is never swapped under the reader's eyes.
 * Messages: docs/protocol.md, "Live lesson updates".
 *
 * Usage, from the page's entry module:
 *   import("./lesson-updates.js").then(({ watchLessonUpdates }) =>
 *     import("./demo-socket.js").then((socketModule) => watchLessonUpdates(socketModule)));
 */

import { h } from "./dom.js";

/**
 * Watches the lesson of `article` (<article class="lesson" data-lesson-id data-lesson-version>)
 * through `socketModule` (./demo-socket.js: its sharedSocket and Status).
 * Returns the notice's live region, or null when the page shows no lesson.
 */
export function watchLessonUpdates(
  socketModule,
  {
    article = document.querySelector("article.lesson[data-lesson-id]"),
    socketPath = document.body.dataset.demoSocket || "/ws/demos/",
  } = {},
) {
  if (!article) return null;
  const lesson = Number(article.dataset.lessonId);
  if (!Number.isSafeInteger(lesson) || lesson < 1) return null;
  const shownVersion = Number(article.dataset.lessonVersion) || 0;

  // The live region is in the page from the start (empty, so hidden): screen
  // readers announce what later appears in it.
  const notice = h("div", { class: "lesson-update", role: "status", "aria-live": "polite" });
  document.body.append(notice);

  const socket = socketModule.sharedSocket(socketPath);
  socket.onStatus((status) => {
    if (status === socketModule.Status.OPEN) socket.send({ type: "watch", lesson });
  });
  socket.onStray((message) => {
    if (message.type !== "lesson_updated" || message.lesson !== lesson) return;
    if (!(message.version > shownVersion)) return;
    showNotice(notice);
  });
  return notice;
}

function showNotice(notice) {
  const reload = h("button", { type: "button", class: "button lesson-update-reload" }, "Reload");
  reload.addEventListener("click", () => window.location.reload());
  notice.replaceChildren(
    h("p", { class: "lesson-update-text" }, "This lesson was just updated. ", reload),
  );
}
