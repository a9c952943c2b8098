/* Turns each <div class="demo" data-demo="…"> of a page into a live widget.
 *
 * Loaded only on pages that have demos (site.js imports it on demand). All
 * widgets share the page's one socket.
 */

import { loadCatalog } from "./demo-catalog.js";
import { sharedSocket } from "./demo-socket.js";
import { DemoWidget } from "./demo-widget.js";
import { h } from "./dom.js";

const widgets = new WeakMap(); // root element -> its DemoWidget

/** The widget built on `root`, or null: for code that drives a widget from outside (replays, tests). */
export function widgetFor(root) {
  return widgets.get(root) ?? null;
}

export async function mountDemos(roots, { catalogUrl, socketPath }) {
  let catalog;
  try {
    catalog = await loadCatalog(catalogUrl);
  } catch (error) {
    console.warn("demos: no catalog", error);
    roots.forEach((root) =>
      showProblem(root, "The live demo could not be loaded: the server did not answer.", () =>
        mountDemos([root], { catalogUrl, socketPath }),
      ),
    );
    return;
  }
  const socket = sharedSocket(socketPath);
  // An error that names no run means the page sent something the server could
  // not read: a bug here, not something a reader can act on.
  socket.onStray((message) => {
    if (message.type === "error") console.warn("demo socket:", message.code, message.message);
  });
  let linked = linkedRun(window.location.search, catalog);
  for (const root of roots) {
    const name = root.dataset.demo;
    const entry = catalog?.demos?.[name];
    if (!entry) {
      showProblem(root, `This page asks for a demo called “${name}”, which the server does not know.`);
      continue;
    }
    try {
      // A shared run's "run it again" link sets up the first widget of its demo.
      const mine = linked?.demo === name ? linked : null;
      if (mine) linked = null;
      widgets.set(root, new DemoWidget(root, { demo: name, entry, socket, linked: mine }));
    } catch (error) {
      console.error("demos: could not build", name, error);
      showProblem(root, "The live demo could not be shown on this page.");
    }
  }
}

/**
 * What a shared run's page asks of this one (?demo=sleep&mode=async&tasks=3
 * &seconds=2, or &shared=<token> for a reader's program), or null. Values are
 * read by the catalog's types; the form checks their bounds as for any value.
 */
export function linkedRun(search, catalog) {
  const query = new URLSearchParams(search);
  const demo = query.get("demo");
  const entry = demo ? catalog?.demos?.[demo] : null;
  if (!entry) return null;
  const params = {};
  for (const param of entry.params) {
    const value = query.get(param.name);
    if (value === null) continue;
    if (param.type === "cities") params[param.name] = value.split(",").map((city) => city.trim()).filter(Boolean);
    else if (value.trim() !== "" && Number.isFinite(Number(value))) params[param.name] = Number(value);
  }
  return { demo, mode: query.get("mode"), params, shared: query.get("shared") };
}

function showProblem(root, text, retry) {
  root.querySelector(".demo-problem")?.remove();
  const problem = h("p", { class: "demo-problem", role: "status" }, text, " ");
  if (retry) {
    const button = h("button", { type: "button", class: "demo-button" }, "Try again");
    button.addEventListener("click", () => {
      problem.remove();
      retry();
    });
    problem.append(button);
  }
  root.append(problem);
}
