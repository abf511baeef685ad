// Charts of the selected runs (or the first runs matching a filter): a panel per metric.

import { api, ApiError } from "../api.js";
import { runColors } from "../colors.js";
import { fill, filterString, h, notice } from "../dom.js";
import {
  chartControls, groupKeys, isSystemKey, MetricCharts, panelPicker, requestStats,
} from "../panels.js";
import { prefetchPlotly } from "../plotly.js";
import { METRIC_AXIS } from "../series.js";
import { link, listParam, setParams } from "../state.js";

const MAX_RUNS = 20;

/** The runs a charts or compare page is about: `runs=ID,...` (in one search), else the first
 * matches of `filter` in `project`. */
export async function chosenRuns(params) {
  const ids = listParam(params, "runs");
  if (ids.length) {
    const quoted = ids.map(filterString).join(", ");
    const { runs } = await api.search({ filter: `attributes.run_id IN (${quoted})`,
      lifecycle: "all" });
    const byId = new Map(runs.map((r) => [r.id, r]));
    const missing = ids.find((id) => !byId.has(id));
    if (missing) throw new ApiError(404, "NOT_FOUND", `no run with id '${missing}'`);
    return ids.map((id) => byId.get(id));
  }
  const project = params.get("project");
  const answer = await api.page({ projects: project ? [project] : null,
    filter: params.get("filter") || null, limit: MAX_RUNS });
  return answer.runs;
}

/** Chart options from the URL: x-axis, smoothing, log scale, metrics and context shown,
 * grouping and its band. */
export function chartOptions(params) {
  return {
    x: params.get("x") ?? "step",
    smooth: Number(params.get("smooth") ?? 0),
    log: params.get("log") === "1",
    metrics: listParam(params, "metrics"),
    context: params.get("context") ?? "",
    group: params.get("group") ?? "",
    band: params.get("band") ?? "",
  };
}

/** Controls and panels for `runs` in `container`, and below them the runs' system metrics
 * (open: drawn at once; else when first opened); answers what to destroy on leaving.
 * `stats`: the runs' series statistics if already asked for (requestStats). */
export async function mountCharts(container, runs, options, stats = undefined,
  { systemOpen = false } = {}) {
  const statsAsked = stats ?? requestStats(runs.map((r) => r.id));
  const panels = h("div", { class: "panels" });
  const charts = new MetricCharts(panels, runs, options, (key) => !isSystemKey(key));
  const onChange = (change) => {
    const url = { ...change };
    if ("log" in change) url.log = change.log ? "1" : "";
    if ("smooth" in change) url.smooth = change.smooth || "";
    if ("metrics" in change) url.metrics = change.metrics.join(",");
    setParams(url);
    charts.setOptions(change).catch((err) => charts.showError(err));
  };
  const controls = chartControls(options, onChange, groupKeys(runs));
  fill(container, controls, panels);
  await charts.load(statsAsked);
  // Once the metrics are known, any of them can be the x-axis too (epoch, tokens seen...),
  // and the panels can be chosen by metric and context.
  const axis = controls.querySelector("#x-axis");
  charts.axisChoices().forEach((key) => axis.append(h("option",
    { value: `${METRIC_AXIS}${key}`, selected: options.x === `${METRIC_AXIS}${key}` }, key)));
  let pickers = [];
  const drawPickers = () => { // again when a running run logs a new metric
    pickers.forEach((el) => el.remove());
    pickers = panelPicker(charts.choices(), options, onChange);
    controls.prepend(...pickers);
  };
  drawPickers();
  charts.onPanelsChange = drawPickers;
  const system = await mountSystemCharts(container, runs, statsAsked, systemOpen);
  return { destroy: () => { charts.destroy(); system?.destroy(); } };
}

/** The runs' system metrics (sampled on a step count of their own), in a section of their own
 * against the time since each run's start, if they have any; null if not. */
async function mountSystemCharts(container, runs, stats, open) {
  const { series } = await stats;
  const keys = new Set(Object.values(series).flat().map((s) => s.key).filter(isSystemKey));
  if (!keys.size) return null;
  const panels = h("div", { class: "panels" });
  const section = h("details", { class: "system-metrics", open },
    h("summary", {}, `System metrics (${keys.size})`), panels);
  container.append(section);
  const options = { ...chartOptions(new URLSearchParams()), x: "relative" };
  const charts = new MetricCharts(panels, runs, options, isSystemKey);
  const load = () => charts.load(stats).catch((err) => charts.showError(err));
  if (open) await load();
  else section.addEventListener("toggle", load, { once: true });
  return charts;
}

export async function render(main, params) {
  prefetchPlotly();
  const ids = listParam(params, "runs");
  const stats = ids.length ? requestStats(ids) : undefined;
  const project = params.get("project");
  const runs = await chosenRuns(params);
  const back = project ? h("a", { href: link(`/projects/${encodeURIComponent(project)}`) },
    project) : h("a", { href: "#/" }, "Projects");
  const title = h("h1", {}, back, " / charts");
  if (!runs.length) {
    fill(main, title, notice("empty", "No runs to chart",
      "Select runs in the runs table, or loosen its filter."));
    return undefined;
  }
  const colors = runColors(runs.map((r) => r.id));
  const legend = h("div", { class: "run-legend" }, runs.map((r) =>
    h("a", { class: "chip", href: link(`/runs/${encodeURIComponent(r.id)}`) },
      h("span", { class: "swatch", style: `background:${colors.get(r.id)}` }), r.name)));
  const body = h("div");
  fill(main, title, legend, body);
  const charts = await mountCharts(body, runs, chartOptions(params), stats);
  return () => charts.destroy();
}
