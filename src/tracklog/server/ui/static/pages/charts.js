// Charts of the selected runs (or the first runs matching a filter): a panel per metric.

import { api, ApiError } from "../api.js";
import { runColors } from "../colors.js";
import { fill, filterString, h, notice } from "../dom.js";
import {
  chartControls, groupKeys, isSystemKey, MetricCharts, panelPicker, requestStats,
} from "../panels.js";
import { prefetchPlotly } from "../plotly.js";
import { MAX_SMOOTH, METRIC_AXIS, X_AXES } from "../series.js";
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
 * grouping and its band. A hand-edited value the controls cannot take (an unknown x-axis,
 * smoothing outside [0, 0.99]) falls back to the control's default or nearest value. */
export function chartOptions(params) {
  const x = params.get("x") ?? "step";
  const metricAxis = x.startsWith(METRIC_AXIS) && x.length > METRIC_AXIS.length;
  const smooth = Number(params.get("smooth") ?? 0);
  return {
    x: Object.hasOwn(X_AXES, x) || metricAxis ? x : "step",
    smooth: Number.isFinite(smooth) ? Math.min(MAX_SMOOTH, Math.max(0, smooth)) : 0,
    log: params.get("log") === "1",
    metrics: listParam(params, "metrics"),
    context: params.get("context") ?? "",
    group: params.get("group") ?? "",
    band: params.get("band") === "std" ? "std" : "",
  };
}

/** Controls and panels for `runs` in `container`, and below them the runs' system metrics
 * (open: drawn at once; else when first opened); answers what to destroy on leaving.
 * `stats`: the runs' series statistics if already asked for (requestStats); `bundle`: the
 * plotly.js bundle to draw with (see MetricCharts). */
export async function mountCharts(container, runs, options, stats = undefined,
  { systemOpen = false, bundle = "full" } = {}) {
  const ids = runs.map((r) => r.id);
  const panels = h("div", { class: "panels" });
  const charts = new MetricCharts(panels, runs, options, (key) => !isSystemKey(key), bundle);
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
  const asked = stats ?? requestStats(ids);
  await charts.load(asked);
  const drawChoices = choicesDrawer(controls, charts, options, onChange);
  drawChoices();
  charts.onPanelsChange = drawChoices; // a running run logged a new metric
  const system = new SystemSection(container, runs, systemOpen, bundle);
  await system.mount(asked);
  // A running run's first system sample may come after the page opened (an interval in).
  charts.onSeries = (series) => {
    if (system.charts || !series.some((s) => isSystemKey(s.key))) return;
    system.mount(requestStats(ids)).catch((err) => charts.showError(err));
  };
  return { destroy: () => { charts.destroy(); system.destroy(); } };
}

/** What draws the choices that follow the panels: any metric as the x-axis (epoch, tokens
 * seen...), and the metrics and context menus (an open menu stays open when redrawn). */
function choicesDrawer(controls, charts, options, onChange) {
  const axis = controls.querySelector("#x-axis");
  let pickers = [];
  return () => {
    const listed = new Set([...axis.options].map((o) => o.value));
    charts.axisChoices().map((key) => `${METRIC_AXIS}${key}`).filter((v) => !listed.has(v))
      .forEach((value) => axis.append(h("option", { value, selected: options.x === value },
        value.slice(METRIC_AXIS.length))));
    const open = pickers.some((el) => el.open);
    pickers.forEach((el) => el.remove());
    pickers = panelPicker(charts.choices(), options, onChange);
    pickers.filter((el) => el.tagName === "DETAILS").forEach((el) => { el.open = open; });
    controls.prepend(...pickers);
  };
}

/** The runs' system metrics (sampled on a step count of their own) in a section of their
 * own, against the time since each run's start, once the runs have any. */
class SystemSection {
  constructor(container, runs, open, bundle) {
    this.container = container;
    this.bundle = bundle;
    this.runs = runs;
    this.open = open;
    this.charts = null;
    this.adding = null;
    this.gone = false;
  }

  /** Add the section if `stats` (series statistics, asked for) hold system series. */
  mount(stats) {
    this.adding ??= this.add(stats).finally(() => { this.adding = null; });
    return this.adding;
  }

  async add(stats) {
    const { series } = await stats;
    const any = Object.values(series).flat().some((s) => isSystemKey(s.key));
    if (!any || this.charts || this.gone) return;
    const panels = h("div", { class: "panels" });
    const section = h("details", { class: "system-metrics", open: this.open },
      h("summary", {}, "System metrics"), panels);
    this.container.append(section);
    const options = { ...chartOptions(new URLSearchParams()), x: "relative" };
    this.charts = new MetricCharts(panels, this.runs, options, isSystemKey, this.bundle);
    const load = () => this.charts.load(stats).catch((err) => this.charts.showError(err));
    if (this.open) await load();
    else section.addEventListener("toggle", load, { once: true });
  }

  destroy() {
    this.gone = true;
    this.charts?.destroy();
  }
}

export async function render(main, params) {
  prefetchPlotly("full");
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
