// The compare page's media: one media key side by side across the compared runs, each at
// the chosen step (or the last step it logged before it).

import { api } from "./api.js";
import { runColors } from "./colors.js";
import { errorNotice, fill, h } from "./dom.js";
import {
  drawDistribution, mediaCell, overlayControls, overlayState, stepSlider,
} from "./media.js";
import { setParams } from "./state.js";

/** The items of `items` at the last step not after `step` (all contexts of it), or []. */
export function itemsAt(items, step) {
  const before = items.filter((i) => i.step <= step);
  if (!before.length) return [];
  const at = Math.max(...before.map((i) => i.step));
  return before.filter((i) => i.step === at);
}

const runTitle = (run, colors) => h("h4", {},
  h("span", { class: "swatch", style: `background:${colors.get(run.id)}` }), run.name);

async function histogramsSideBySide(runs, key, colors, grid) {
  const all = await Promise.all(runs.map((r) => api.histograms(r.id, key)));
  fill(grid, runs.map((run, i) => {
    const chart = h("div", { class: "chart distribution" });
    if (!all[i].length) fill(chart, h("p", { class: "muted" }, `No ${key} in this run.`));
    else drawDistribution(chart, all[i], key).catch((err) => fill(chart, errorNotice(err)));
    return h("div", { class: "media-column", dataset: { run: run.id } }, runTitle(run, colors), chart);
  }));
}

async function mediaSideBySide(runs, key, colors, params, controls, grid) {
  const all = await Promise.all(runs.map((r) => api.media(r.id, key)));
  const steps = [...new Set(all.flat().map((i) => i.step))].sort((a, b) => a - b);
  const state = overlayState(all.flat());
  const show = (step) => {
    setParams({ step });
    state.listeners.clear();
    fill(grid, runs.map((run, i) => {
      const items = itemsAt(all[i], step);
      return h("div", { class: "media-column", dataset: { run: run.id } }, runTitle(run, colors),
        items.length ? items.map((item) => mediaCell(run.id, item, state, `step ${item.step}`))
          : h("p", { class: "muted" }, `Nothing logged at or before step ${step}.`));
    }));
  };
  const wanted = params.has("step") ? Number(params.get("step")) : NaN;
  const initial = steps.includes(wanted) ? wanted : steps[steps.length - 1];
  fill(controls, stepSlider(steps, show, initial, "media-step"), overlayControls(state));
  show(initial);
}

/** The media section of the compare page for `runs`, or null where none logged media. */
export async function mediaComparison(runs, params) {
  const keys = (await Promise.all(runs.map((r) => api.mediaKeys(r.id)))).flat();
  if (!keys.length) return null;
  const kinds = new Map(keys.map((k) => [k.key, k.kind]));
  const names = [...kinds.keys()].sort();
  const colors = runColors(runs.map((r) => r.id));
  const select = h("select", { id: "media-key", "aria-label": "media key" },
    names.map((k) => h("option", { value: k, selected: k === params.get("media") }, k)));
  const controls = h("div", { class: "toolbar" });
  const grid = h("div", { class: "media-compare" });
  const draw = (first) => {
    const key = select.value;
    if (!first) params.delete("step");
    setParams({ media: key });
    fill(controls);
    fill(grid, h("p", { class: "muted" }, "Loading…"));
    const done = kinds.get(key) === "histogram"
      ? histogramsSideBySide(runs, key, colors, grid)
      : mediaSideBySide(runs, key, colors, params, controls, grid);
    done.catch((err) => fill(grid, errorNotice(err)));
  };
  select.addEventListener("change", () => draw(false));
  draw(true);
  return h("div", {}, h("div", { class: "toolbar" }, h("label", {}, "key ", select)), controls,
    grid);
}
