// Metric charts: one plotly panel per metric, one WebGL line per run in its stable colour.
// Series are downsampled on the server to about the panel's width (min/max kept, so spikes
// show); zooming fetches the visible range in detail; running runs' lines grow as the server
// announces changes (server-sent events).

import { api } from "./api.js";
import { finiteExtent, yRange } from "./axes.js";
import { runColors } from "./colors.js";
import { contextLabel, flatten, h, fill, notice } from "./dom.js";
import { groupBands } from "./grouping.js";
import { axisTitle, ema, MAX_SMOOTH, METRIC_AXIS, xValues, X_AXES } from "./series.js";
import { followRuns } from "./live.js";
import { hasWebgl, loadPlotly } from "./plotly.js";
import { chartColors } from "./theme.js";

// Lines are downsampled to about the panel's width, so most panels draw a few thousand points,
// which SVG draws faster than WebGL (much faster where WebGL is emulated in software); past
// this many points in a panel, WebGL wins (where the full plotly.js bundle is loaded).
const WEBGL_POINTS = 20000;
const NO_CONTEXT = "{}";

/** A panel's identity: the metric key and its context (train/val...), as the API names them. */
const panelId = (key, context) => `${key}\u0000${context || NO_CONTEXT}`;

/** A context's identity: the API's text and a link's (`{"subset": "val"}`, spaced or not, keys
 * in any order) are the same context; "" and "{}" are none. */
function contextKey(context) {
  try {
    const value = JSON.parse(context || NO_CONTEXT);
    return JSON.stringify(Object.keys(value).sort().map((k) => [k, value[k]]));
  } catch {
    return context; // not JSON: matches no logged context
  }
}

/** Series the SDK samples from the machine (CPU, memory, GPUs...), on a step count of their
 * own: the pages chart them apart, against time. */
export const isSystemKey = (key) => key.startsWith("system/");

/** What changes as a run logs: its series and their point counts. */
const seriesSignature = (series) => JSON.stringify(series.map((s) => [s.key, s.context, s.count]));

/** Ask for the series statistics of the runs `ids` now, alongside the page's own first
 * requests: a round trip less before the charts' points are asked for (and plotly.js runs).
 * A failure surfaces where the answer is awaited (MetricCharts.load). */
export function requestStats(ids) {
  const stats = api.seriesStats(ids);
  stats.catch(() => {}); // not unhandled while the page awaits its other requests first
  return stats;
}

export class MetricCharts {
  /** `runs`: run records; `options`: {x, smooth, log, group, band, metrics (keys to show, all
   * if empty), context (the one context to show, all if "")}; `accepts(key)`: whether a
   * series belongs to these charts at all; `bundle`: the plotly.js bundle to load, "full" or
   * "basic" (SVG lines only, compiled sooner: for few runs, see plotly.js). */
  constructor(container, runs, options, accepts = () => true, bundle = "full") {
    this.container = container;
    this.bundle = bundle;
    this.accepts = accepts;
    this.runs = runs;
    this.colors = runColors(runs.map((r) => r.id));
    this.options = options;
    this.panels = new Map(); // panelId -> {key, context, el, data: Map(runId -> series), range}
    this.xSeries = new Map(); // runId -> series of the metric on the x-axis, if one is
    this.unfollow = null; // stops following the running runs' events (followRuns)
    this.seen = new Map(); // runId -> seriesSignature of the series last fetched
    this.onPanelsChange = null; // called when a running run's new series added panels
    this.onSeries = null; // called with each running run's series, these charts' or not
    this.destroyed = false;
    this.onTheme = () => this.redrawAll();
    window.addEventListener("themechange", this.onTheme);
  }

  /** Fetch the series statistics of all runs (unless `stats` already asks for them, see
   * requestStats), then each panel's points (a request each). */
  async load(stats = api.seriesStats(this.runs.map((r) => r.id))) {
    fill(this.container, h("p", { class: "muted" }, "Loading metrics…"));
    const series = this.ownSeries((await stats).series);
    const found = new Map();
    this.runs.forEach((r) => this.seen.set(r.id, seriesSignature(series[r.id])));
    Object.values(series).forEach((list) => list.forEach((s) => {
      found.set(panelId(s.key, s.context), { key: s.key, context: s.context });
    }));
    const keys = [...found.values()]
      .sort((a, b) => a.key.localeCompare(b.key) || a.context.localeCompare(b.context));
    fill(this.container);
    for (const { key, context } of keys) this.addPanel(key, context);
    this.sayIfEmpty();
    const fetches = [this.fetchXSeries(), ...this.shown().map((p) => this.fetchPanel(p))];
    // Requests out first: plotly.js compiles while the server downsamples.
    await Promise.all([...fetches, loadPlotly(this.bundle)]);
    this.redrawAll();
    this.startLive();
  }

  /** Of `series` (runId -> the API's series statistics), those these charts accept. */
  ownSeries(series) {
    return Object.fromEntries(Object.entries(series)
      .map(([id, list]) => [id, list.filter((s) => this.accepts(s.key))]));
  }

  /** A panel for every series; only those the options choose are shown (and fetched). */
  addPanel(key, context) {
    const label = contextLabel(context);
    const el = h("div", { class: "chart", dataset: { metric: key, context: label } });
    const section = h("section", { class: "panel" }, h("h3", {}, key,
      label ? h("span", { class: "context" }, ` ${label}`) : null), el);
    const panel = { key, context, el, section, data: new Map(), range: null, drawn: false };
    section.hidden = !this.chooses(panel);
    this.container.append(section);
    this.panels.set(panelId(key, context), panel);
    return panel;
  }

  /** Whether the options' metrics and context choose `panel`. */
  chooses(panel) {
    const { metrics, context } = this.options;
    return (!metrics?.length || metrics.includes(panel.key))
      && (!context || contextKey(panel.context) === contextKey(context));
  }

  shown() {
    return [...this.panels.values()].filter((p) => !p.section.hidden);
  }

  /** The empty state: no metrics at all, or none the choice shows. */
  sayIfEmpty() {
    this.container.querySelector(".notice-empty")?.remove();
    if (!this.panels.size) {
      this.container.prepend(notice("empty", "No metrics logged yet",
        "Metrics appear here once a run calls run.log({\"loss\": 0.1}, step=1)."));
    } else if (!this.shown().length) {
      this.container.prepend(notice("empty", "No metric in this choice",
        "Pick other metrics or another context above."));
    }
  }

  /** The metric keys and contexts of all panels, for the pickers (panelPicker). */
  choices() {
    const all = [...this.panels.values()];
    const keys = [...new Set(all.map((p) => p.key))].sort();
    const contexts = [...new Set(all.map((p) => p.context || NO_CONTEXT))].sort();
    return { keys, contexts };
  }

  /** Show the panels the options now choose; those newly shown fetch their points afresh
   * (hidden panels are not kept up to date). */
  async applyChoice() {
    const appear = [];
    this.panels.forEach((panel) => {
      const show = this.chooses(panel);
      if (show && panel.section.hidden) appear.push(panel);
      panel.section.hidden = !show;
    });
    this.sayIfEmpty();
    await Promise.all(appear.map((p) => this.fetchPanel(p)));
    appear.forEach((p) => this.draw(p));
  }

  /** Points of every run for `panel` (only `runs` if given), within its zoomed range if any. */
  async fetchPanel(panel, runs = this.runs) {
    const samples = Math.min(2000, Math.max(200, Math.round(panel.el.clientWidth || 800)));
    const bounds = panel.range ? { minStep: panel.range[0], maxStep: panel.range[1] } : {};
    // One request for all the runs; a run without this metric has no line.
    const found = await api.seriesBatch(runs.map((r) => r.id), panel.key, panel.context,
      { samples, ...bounds });
    found.forEach((series, id) => panel.data.set(id, series));
  }

  /** For an x-axis of another metric: that metric's points of every run (`runs` only). */
  async fetchXSeries(runs = this.runs) {
    const { x } = this.options;
    if (!x.startsWith(METRIC_AXIS)) return;
    const found = await api.seriesBatch(runs.map((r) => r.id), x.slice(METRIC_AXIS.length), "",
      { samples: 2000 }); // a run without that metric has no x values
    found.forEach((series, id) => this.xSeries.set(id, series));
  }

  /** Metric keys (without context) that can serve as the x-axis. */
  axisChoices() {
    return [...new Set([...this.panels.values()]
      .filter((p) => contextKey(p.context) === contextKey(NO_CONTEXT))
      .map((p) => p.key))].sort();
  }

  async setOptions(changes) {
    const axisChanged = changes.x !== undefined && changes.x !== this.options.x;
    Object.assign(this.options, changes);
    if ("metrics" in changes || "context" in changes) {
      await this.applyChoice();
      return;
    }
    if (axisChanged) {
      this.xSeries.clear();
      await this.fetchXSeries();
    }
    this.redrawAll();
  }

  redrawAll() {
    if (!window.Plotly) return; // still loading: load() draws once it is there
    this.shown().forEach((panel) => this.draw(panel));
  }

  draw(panel) {
    const { x, log, group } = this.options;
    const colors = chartColors();
    const traces = group ? this.groupTraces(panel) : this.runTraces(panel);
    const range = yRange(panel.key, finiteExtent(traces.map((t) => t.y)), log);
    const layout = {
      margin: { l: 50, r: 10, t: 10, b: 40 },
      height: 280,
      paper_bgcolor: colors.bg,
      plot_bgcolor: colors.bg,
      font: { color: colors.fg, size: 11 },
      hovermode: "x unified",
      showlegend: this.runs.length > 1,
      legend: { orientation: "h", y: -0.25 },
      // Same uirevision: a live redraw keeps the user's zoom; a new x-axis resets it.
      uirevision: x,
      xaxis: { title: { text: axisTitle(x) }, gridcolor: colors.grid,
        type: x === "wall" ? "date" : "linear" },
      yaxis: { type: log ? "log" : "linear", gridcolor: colors.grid,
        ...(range ? { range, autorange: false } : { autorange: true }) },
    };
    window.Plotly.react(panel.el, traces, layout, { responsive: true, displaylogo: false });
    if (!panel.drawn) {
      panel.drawn = true;
      panel.el.on("plotly_relayout", (ev) => this.onRelayout(panel, ev));
    }
  }

  /** One line per run (and its faint raw line when smoothing). */
  runTraces(panel) {
    const { x, smooth } = this.options;
    const traces = [];
    let points = 0;
    panel.data.forEach((series) => { points += series.steps.length; });
    const type = points > WEBGL_POINTS && hasWebgl() ? "scattergl" : "scatter";
    for (const run of this.runs) {
      const series = panel.data.get(run.id);
      if (!series) continue;
      const xs = xValues(series, x, run.start_time, this.xSeries.get(run.id));
      // A lone point has no line to draw: a marker shows it.
      const common = { type, mode: series.steps.length === 1 ? "markers" : "lines", x: xs,
        legendgroup: run.id, line: { color: this.colors.get(run.id), width: 1.5 },
        marker: { color: this.colors.get(run.id), size: 7 } };
      if (smooth > 0) {
        traces.push({ ...common, y: series.values, opacity: 0.25, showlegend: false,
          hoverinfo: "skip", name: `${run.name} (raw)` });
      }
      traces.push({ ...common, y: ema(series.values, smooth), name: run.name, meta: run.id });
    }
    return traces;
  }

  /** Per group of runs: the mean line over a band from the minimum to the maximum, or of
   * one standard deviation either side of the mean (option `band` "std"). */
  groupTraces(panel) {
    const { x, smooth, group, band: spread } = this.options;
    const lines = this.runs.filter((run) => panel.data.has(run.id)).map((run) => {
      const series = panel.data.get(run.id);
      const xs = x === "wall" ? series.times
        : xValues(series, x, run.start_time, this.xSeries.get(run.id));
      return { run, x: Array.from(xs), y: ema(series.values, smooth) };
    });
    const bands = groupBands(lines, group);
    const colors = runColors(bands.map((b) => b.label));
    const toX = (xs) => (x === "wall" ? xs.map((t) => new Date(t)) : xs);
    return bands.flatMap((band) => {
      const color = colors.get(band.label);
      const name = `${group}=${band.label} (${band.count})`;
      const edge = { type: "scatter", mode: "lines", x: toX(band.x), legendgroup: name,
        line: { width: 0, color }, showlegend: false, hoverinfo: "skip" };
      const std = spread === "std";
      const upper = std ? band.mean.map((m, i) => m + band.std[i]) : band.max;
      const lower = std ? band.mean.map((m, i) => m - band.std[i]) : band.min;
      return [
        { ...edge, y: upper, name: `${name} ${std ? "+std" : "max"}` },
        { ...edge, y: lower, name: `${name} ${std ? "-std" : "min"}`, fill: "tonexty",
          fillcolor: color.startsWith("#") ? `${color}33` : color },
        { type: "scatter", mode: band.x.length === 1 ? "markers" : "lines", x: toX(band.x),
          y: band.mean, name, legendgroup: name, line: { color, width: 2 },
          marker: { color, size: 7 } },
      ];
    });
  }

  /** Zoom: fetch the visible range in detail; a reset zoom goes back to the whole series. */
  async onRelayout(panel, ev) {
    // Plotly names the new range either way, depending on how the zoom was made.
    const [lo, hi] = ev["xaxis.range"] ?? [ev["xaxis.range[0]"], ev["xaxis.range[1]"]];
    let range = null;
    if (lo !== undefined && hi !== undefined) range = this.stepRange(panel, lo, hi);
    else if (!ev["xaxis.autorange"]) return;
    if (JSON.stringify(range) === JSON.stringify(panel.range)) return;
    panel.range = range;
    await this.fetchPanel(panel);
    this.draw(panel);
    panel.el.dataset.detail = range ? `${range[0]}-${range[1]}` : "";
  }

  /** The steps shown between x coordinates lo and hi, on whichever x-axis is in use. */
  stepRange(panel, lo, hi) {
    if (this.options.x === "step") return [lo, hi];
    let min = Infinity;
    let max = -Infinity;
    for (const run of this.runs) {
      const series = panel.data.get(run.id);
      if (!series) continue;
      const xs = xValues(series, this.options.x, run.start_time, this.xSeries.get(run.id));
      const [a, b] = this.options.x === "wall" ? [new Date(lo), new Date(hi)] : [lo, hi];
      xs.forEach((v, i) => {
        if (v >= a && v <= b) {
          min = Math.min(min, series.steps[i]);
          max = Math.max(max, series.steps[i]);
        }
      });
    }
    return Number.isFinite(min) ? [min, max] : null;
  }

  /** While any run is RUNNING, follow them through server-sent events: on a change of a
   * run's status or series, refresh that run's lines (new metrics get a panel). */
  startLive() {
    const running = this.runs.filter((r) => r.status === "RUNNING");
    if (this.destroyed || this.unfollow || !running.length) return;
    this.unfollow = followRuns(running.map((r) => r.id), {
      run: (data) => this.onRunEvent(data).catch((err) => this.showError(err)),
      done: () => this.stop(),
      refused: () => this.showError(new Error("The server refused the live updates of these runs.")),
    });
  }

  async onRunEvent({ run, series: all }) {
    const known = this.runs.find((r) => r.id === run.id);
    Object.assign(known, run);
    this.onSeries?.(all);
    const series = all.filter((s) => this.accepts(s.key));
    const seen = seriesSignature(series);
    if (this.seen.get(run.id) === seen) return; // nothing new since the last fetch
    this.seen.set(run.id, seen);
    const fresh = series.filter((s) => !this.panels.has(panelId(s.key, s.context)));
    fresh.forEach((s) => this.addPanel(s.key, s.context));
    if (fresh.length) this.onPanelsChange?.();
    this.sayIfEmpty();
    await this.fetchXSeries([known]);
    for (const panel of this.shown()) {
      await this.fetchPanel(panel, [known]);
      this.draw(panel);
    }
  }

  showError(err) {
    this.stop();
    this.container.prepend(notice("error", "Live update stopped", err.message));
  }

  stop() {
    this.unfollow?.();
    this.unfollow = null;
  }

  destroy() {
    this.destroyed = true; // a load still under way starts no live updates
    this.stop();
    window.removeEventListener("themechange", this.onTheme);
    if (window.Plotly) this.panels.forEach((p) => window.Plotly.purge(p.el));
  }
}

/** Config keys worth grouping `runs` by: those with more than one value among them. */
export function groupKeys(runs) {
  const flat = runs.map((r) => flatten(r.config));
  const keys = [...new Set(flat.flatMap(Object.keys))].sort();
  return keys.filter((k) => new Set(flat.map((f) => JSON.stringify(f[k]))).size > 1);
}

/** The metrics to show (checkboxes; all when none is unchecked) and, where the runs log
 * several, the context (train/val...) to show; `onChange` gets {metrics} or {context}. */
export function panelPicker({ keys, contexts }, options, onChange) {
  const chosen = new Set(options.metrics);
  const count = h("span", { class: "muted" });
  const boxes = keys.map((key) => h("input", { type: "checkbox", value: key,
    checked: !chosen.size || chosen.has(key), onchange: (e) => {
      const on = boxes.filter((b) => b.checked).map((b) => b.value);
      if (!on.length) { // no metrics at all would read as all of them: keep the last one
        e.target.checked = true;
        return;
      }
      count.textContent = `${on.length} of ${keys.length}`;
      onChange({ metrics: on.length === keys.length ? [] : on });
    } }));
  count.textContent = `${boxes.filter((b) => b.checked).length} of ${keys.length}`;
  const menu = h("details", { id: "metric-picker", class: "menu" },
    h("summary", {}, "metrics ", count),
    h("div", { class: "menu-items" }, boxes.map((box) => h("label", {}, box, box.value))));
  const wanted = options.context && contextKey(options.context);
  const logged = contexts.some((c) => contextKey(c) === wanted);
  const select = h("select", { id: "context", "aria-label": "context",
    onchange: (e) => onChange({ context: e.target.value }) },
  h("option", { value: "" }, "(all)"),
  contexts.map((c) => h("option", { value: c, selected: contextKey(c) === wanted },
    contextLabel(c) || "(none)")),
  wanted && !logged ? h("option", { value: options.context, selected: true },
    `${options.context} (not logged)`) : null);
  // Each is offered where there is a choice, or where the URL's choice may hide every panel.
  return [
    keys.length > 1 || chosen.size ? menu : null,
    contexts.length > 1 || options.context ? h("label", {}, "context ", select) : null,
  ].filter(Boolean);
}

/** The x-axis select, smoothing slider, log-scale box and (with `keys`) the group-by and band
 * selects; `onChange` gets the changed option. */
export function chartControls(options, onChange, keys = []) {
  const axis = h("select", { id: "x-axis", "aria-label": "x-axis",
    onchange: (e) => onChange({ x: e.target.value }) },
  Object.entries(X_AXES).map(([value, { label }]) =>
    h("option", { value, selected: value === options.x }, label)));
  const shown = h("output", { id: "smooth-value" }, options.smooth.toFixed(2));
  const slider = h("input", { id: "smoothing", type: "range", min: 0, max: MAX_SMOOTH, step: 0.01,
    value: options.smooth, "aria-label": "smoothing",
    oninput: (e) => {
      shown.textContent = Number(e.target.value).toFixed(2);
      onChange({ smooth: Number(e.target.value) });
    } });
  const log = h("input", { id: "log-scale", type: "checkbox", checked: options.log,
    onchange: (e) => onChange({ log: e.target.checked }) });
  // The band is the groups' (min–max or ±1 standard deviation): chosen while grouping.
  const bandSelect = h("select", { id: "band", "aria-label": "band", disabled: !options.group,
    onchange: (e) => onChange({ band: e.target.value }) },
  h("option", { value: "" }, "min–max"),
  h("option", { value: "std", selected: options.band === "std" }, "±1 std"));
  const group = keys.length ? [h("label", {}, "group by ", h("select", { id: "group-by",
    "aria-label": "group by", onchange: (e) => {
      bandSelect.disabled = !e.target.value;
      onChange({ group: e.target.value });
    } },
  h("option", { value: "" }, "(each run)"),
  keys.map((k) => h("option", { value: k, selected: k === options.group }, k)))),
  h("label", {}, "band ", bandSelect)] : null;
  return h("div", { class: "toolbar" },
    h("label", {}, "x-axis ", axis),
    h("label", {}, "smoothing ", slider, shown),
    h("label", {}, log, " log scale"), group);
}
