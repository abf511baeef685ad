// The single-page app: a hash router that gives each page the main element and its URL state.

import { errorNotice, fill, h, notice } from "./dom.js";
import * as charts from "./pages/charts.js";
import * as compare from "./pages/compare.js";
import * as mlflowLinks from "./pages/mlflow_links.js";
import * as projects from "./pages/projects.js";
import * as run from "./pages/run.js";
import * as runs from "./pages/runs.js";
import * as sweep from "./pages/sweep.js";
import { route } from "./state.js";
import { applyTheme, toggleTheme } from "./theme.js";

const ROUTES = [
  [/^\/$/, projects],
  [/^\/projects\/(.+)$/, runs],
  [/^\/charts$/, charts],
  [/^\/compare$/, compare],
  [/^\/runs\/(.+)$/, run],
  [/^\/sweeps\/(.+)$/, sweep],
  [/^\/experiments\/\d+(\/runs\/[^/]+)?\/?/, mlflowLinks],
  [/^\/compare-runs$/, mlflowLinks],
];

let cleanup = null;
let generation = 0;

async function render() {
  cleanup?.();
  cleanup = null;
  generation += 1;
  const mine = generation;
  const main = document.getElementById("app");
  const { path, params } = route();
  const found = ROUTES.map(([re, page]) => [path.match(re), page]).find(([m]) => m);
  if (!found) {
    fill(main, notice("error", "Page not found", `Nothing lives at ${path}.`,
      h("a", { href: "#/" }, "Back to the projects")));
    return;
  }
  const [match, page] = found;
  // Each page draws into its own element: one still loading when the user moves on draws
  // into a detached element, never over the next page.
  const view = h("div", { class: "view" }, h("p", { class: "muted" }, "Loading…"));
  fill(main, view);
  try {
    const done = await page.render(view, params, ...match.slice(1).map(decodeURIComponent));
    if (mine === generation) cleanup = done ?? null;
    else done?.();
  } catch (err) {
    fill(view, errorNotice(err));
  }
}

applyTheme();
document.getElementById("theme-toggle").addEventListener("click", toggleTheme);
window.addEventListener("hashchange", render);
render();
