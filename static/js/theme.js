/* Applies the reader's saved theme before the first paint.
 *
 * Loaded as a classic script in <head>, without defer, so that a reader who
 * chose dark never sees a flash of the light page. Kept tiny and dependency
 * free for that reason; the toggle button itself is wired in theme-toggle.js.
 * Without a saved choice nothing is set and the CSS follows
 * prefers-color-scheme.
 */
(function () {
  "use strict";
  var root = document.documentElement;
  try {
    var saved = window.localStorage.getItem("theme");
    if (saved === "light" || saved === "dark") {
      root.setAttribute("data-theme", saved);
    }
    // Lets CSS keep room for the reader's progress (progress.js) only where it can be kept.
    root.classList.add("can-store");
  } catch {
    // Storage can be blocked (privacy settings): then the system theme applies.
  }
  // Lets CSS show controls that need JavaScript (the theme toggle) only when it runs.
  root.classList.add("js");
  // A join link's page (?room=) keeps the room banner's place from the first paint (room.js).
  if (new URLSearchParams(window.location.search).get("room")) root.classList.add("room-joining");
})();
