// Compare runs: config and summary side by side (differing keys marked), and a
// parallel-coordinates plot of numeric config keys against a metric over the project's runs.

import { api, ApiError } from "../api.js";
import { runColors } from "../colors.js";
import { brushFilter, configDimensions, selectionFilter } from "../brushing.js";
import { errorNotice, fill, flatten, fmtValue, h, lazyCard, notice } from "../dom.js";
import { mediaComparison } from "../media_compare.js";
import { link, setParams } from "../state.js";
import { loadPlotly, prefetchPlotly } from "../plotly.js";
import { chartColors } from "../theme.js";
import { chartOptions, chosenRuns, mountCharts } from "./charts.js";

const PARCOORDS_RUNS = 1000;

function diffTable(runs, showAll) {
  const flat = runs.map((r) => ({
    ...Object.fromEntries(Object.entries(flatten(r.config)).map(([k, v]) => [`config.${k}`, v])),
    ...Object.fromEntries(Object.entries(r.summary).map(([k, v]) => [`summary.${k}`, v])),
  }));
  const keys = [...new Set(flat.flatMap(Object.keys))].sort();
  const colors = runColors(runs.map((r) => r.id));
  const rows = keys.map((key) => {
    const cells = flat.map((f) => fmtValue(f[key]));
    return { key, cells, differs: new Set(cells).size > 1 };
  }).filter((r) => showAll || r.differs);
  return h("table", { class: "compare" },
    h("thead", {}, h("tr", {}, h("th", {}, "key"), runs.map((r) => h("th", {},
      h("span", { class: "swatch", style: `background:${colors.get(r.id)}` }),
      h("a", { href: link(`/runs/${encodeURIComponent(r.id)}`) }, r.name))))),
    h("tbody", {}, rows.length ? rows.map((r) => h("tr", { class: r.differs ? "differs" : null,
      dataset: { key: r.key } }, h("th", {}, r.key), r.cells.map((c) => h("td", {}, c))))
      : h("tr", {}, h("td", { colspan: runs.length + 1, class: "muted" },
        "The runs have the same config and summary."))));
}

async function parcoords(el, runs, metric, onBrush) {
  const withMetric = runs.filter((r) => typeof r.summary[metric] === "number");
  if (!withMetric.length) {
    fill(el, notice("empty", "Nothing to plot", `No run has a numeric summary "${metric}".`));
    return;
  }
  const Plotly = await loadPlotly();
  const colors = chartColors();
  const values = withMetric.map((r) => r.summary[metric]);
  const dims = [...configDimensions(withMetric), { label: metric, values }];
  Plotly.react(el, [{ type: "parcoords", dimensions: dims,
    line: { color: values, colorscale: "Viridis", showscale: true } }],
  { height: 360, margin: { l: 60, r: 60, t: 40, b: 20 }, paper_bgcolor: colors.bg,
    font: { color: colors.fg } }, { displaylogo: false, responsive: true });
  el.removeAllListeners?.("plotly_restyle");
  el.on("plotly_restyle", () => onBrush(brushFilter(el.data[0].dimensions, metric)));
}

/** Any varying config key (x) against the metric (y), every run a dot; the compared runs
 * are drawn larger in their own colours. Dragging selects runs (`onBrush` gets their filter). */
async function scatter(el, runs, key, metric, compared, onBrush) {
  const withMetric = runs.filter((r) => typeof r.summary[metric] === "number");
  const dim = configDimensions(withMetric).find((d) => d.label === key);
  if (!dim) {
    fill(el, notice("empty", "Nothing to plot", `No runs with "${key}" and "${metric}".`));
    return;
  }
  const Plotly = await loadPlotly();
  const colors = chartColors();
  const runColor = runColors(compared.map((r) => r.id));
  Plotly.react(el, [{
    type: "scatter", mode: "markers", x: dim.values, y: withMetric.map((r) => r.summary[metric]),
    text: withMetric.map((r) => r.name), hovertemplate: "%{text}<br>%{x}, %{y}<extra></extra>",
    marker: { size: withMetric.map((r) => (runColor.has(r.id) ? 12 : 6)),
      color: withMetric.map((r) => runColor.get(r.id) ?? colors.grid) },
  }], {
    height: 360, margin: { l: 60, r: 20, t: 20, b: 50 }, paper_bgcolor: colors.bg,
    plot_bgcolor: colors.bg, font: { color: colors.fg },
    xaxis: { title: { text: key }, gridcolor: colors.grid,
      ...(dim.ticktext ? { tickvals: dim.tickvals, ticktext: dim.ticktext } : {}) },
    yaxis: { title: { text: metric }, gridcolor: colors.grid },
    dragmode: "select",
  }, { displaylogo: false, responsive: true });
  el.removeAllListeners?.("plotly_selected");
  el.on("plotly_selected", (ev) => onBrush(selectionFilter(ev?.points, dim, metric)));
  el.removeAllListeners?.("plotly_deselect");
  el.on("plotly_deselect", () => onBrush(""));
}

/** A select of `options`, the URL parameter `param` choosing the initial one. */
function picker(id, label, options, params, param, onChange) {
  const select = h("select", { id, "aria-label": label },
    options.map((o) => h("option", { value: o, selected: o === params.get(param) }, o)));
  select.addEventListener("change", () => { setParams({ [param]: select.value }); onChange(); });
  return h("label", {}, `${label} `, select);
}

export async function render(main, params) {
  prefetchPlotly("full"); // parallel coordinates
  const project = params.get("project");
  const runs = await chosenRuns(params);
  const title = h("h1", {}, project
    ? h("a", { href: link(`/projects/${encodeURIComponent(project)}`) }, project)
    : h("a", { href: "#/" }, "Projects"), " / compare");
  if (runs.length < 2) {
    fill(main, title, notice("empty", "Choose at least two runs",
      "Select runs in the runs table, then press Compare."));
    return undefined;
  }
  const showAll = h("input", { id: "show-all-keys", type: "checkbox",
    checked: params.get("all") === "1" });
  const diff = h("div");
  const drawDiff = () => fill(diff, diffTable(runs, showAll.checked));
  showAll.addEventListener("change", () => {
    setParams({ all: showAll.checked ? "1" : "" });
    drawDiff();
  });

  // The plots are over the runs of the table the runs came from: its project and filter.
  let base = project ? params.get("filter") || "" : "";
  let refused = null;
  let population = runs;
  if (project) {
    const page = (filter) => api.page({ projects: [project], filter, limit: PARCOORDS_RUNS });
    try {
      population = (await page(base || null)).runs;
    } catch (err) {
      if (!(err instanceof ApiError) || err.status !== 400) throw err;
      refused = notice("error", "The runs table's filter does not apply", err.message,
        "The plots are over all the project's runs.");
      base = "";
      population = (await page(null)).runs;
    }
  }
  const metrics = [...new Set(population.flatMap((r) => Object.keys(r.summary)))].sort();
  const keys = configDimensions(population).map((d) => d.label);
  const parallel = h("div", { id: "parcoords", class: "chart" });
  const dots = h("div", { id: "scatter", class: "chart" });
  const draw = () => {
    const metric = main.querySelector("#plot-metric")?.value;
    const key = main.querySelector("#scatter-key")?.value;
    showBrush(""); // a selection of the plots drawn before does not hold for the new ones
    if (!metric) {
      fill(parallel, notice("empty", "No metrics yet", "Runs with summary metrics show here."));
      return Promise.resolve();
    }
    return Promise.all([parcoords(parallel, population, metric, showBrush),
      key && scatter(dots, population, key, metric, runs, showBrush)])
      .catch((err) => fill(parallel, errorNotice(err)));
  };
  // Brushing axes of the parallel-coordinates plot, or selecting dots of the scatter plot,
  // offers the runs table with that filter (and the table's own).
  const hint = "Drag along an axis, or across the scatter plot, to select runs.";
  const brushed = h("p", { id: "brushed", class: "muted" }, hint);
  const showBrush = (brush) => {
    const filter = [base, brush].filter(Boolean).join(" AND ");
    fill(brushed, brush && project
      ? h("a", { href: link(`/projects/${encodeURIComponent(project)}`, { filter }) },
        `Open the runs matching ${filter} in the table`)
      : hint);
  };
  const charts = h("div");
  fill(main, title,
    h("section", { class: "card" }, h("h2", {}, "Config and summary"),
      h("label", {}, showAll, " show keys that are the same"), diff),
    h("section", { class: "card" }, h("h2", {}, `Config → metric over ${population.length} runs`
      + (base ? ` matching ${base}` : "")), refused,
      h("div", { class: "toolbar" }, picker("plot-metric", "metric", metrics, params, "metric", draw),
        picker("scatter-key", "scatter x", keys, params, "key", draw)),
      h("div", { class: "two-col" }, parallel, dots), brushed),
    h("section", { class: "card" }, h("h2", {}, "Metrics"), charts),
    lazyCard("Media", mediaComparison(runs, params), "media"));
  drawDiff();
  await draw();
  const panels = await mountCharts(charts, runs, chartOptions(params));
  return () => panels.destroy();
}
