/* The page's entry module: wires the small pieces that each page may have.
 *
 * Everything here improves a page that already works without JavaScript;
 * only the live demos need it, and they are loaded only where there are some.
 */

import { addCopyButtons } from "./copy-code.js";
import { setUpThemeToggle } from "./theme-toggle.js";
import { setUpToc } from "./toc.js";

setUpThemeToggle(document.querySelector("[data-theme-toggle]"));
setUpToc(document.querySelector(".toc"));

const lessonBody = document.querySelector(".lesson-body");
if (lessonBody) addCopyButtons(lessonBody);

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
