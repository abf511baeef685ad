// tracklog.plot's charts (W&B's wandb.plot) drawn from their data tables: line, scatter,
// bar, histogram, line series, PR and ROC curves, and the confusion matrix as a heatmap.

import { api } from "./api.js";
import { errorNotice, fill, h } from "./dom.js";
import { loadPlotly } from "./plotly.js";
import { chartColors } from "./theme.js";

// A plot's data is read whole, a page of 1,000 rows at a time, up to this many rows.
const PLOT_ROWS = 20_000;
const PAGE = 1000;

/** A cell as a number: the wire's "NaN" and "±Infinity" strings too. */
const num = (v) => (typeof v === "string" ? Number(v) : v);

/** The rows of `rows` split by the value of column `at` (in first-seen order): Map. */
function groups(rows, at) {
  const out = new Map();
  for (const row of rows) {
    const key = at < 0 ? "" : String(row[at]);
    if (!out.has(key)) out.set(key, []);
    out.get(key).push(row);
  }
  return out;
}

const lines = (rows, x, y, by, mode) => [...groups(rows, by)].map(([name, part]) => ({
  type: "scatter", mode, name: name || undefined,
  x: part.map((r) => num(r[x])), y: part.map((r) => num(r[y])),
}));

/** The plotly traces and layout of a logged plot: its metadata (`plot`, `fields`: role ->
 * column, `title`, `axes`) and its table's `columns` and `rows`. */
export function plotFigure(meta, columns, rows) {
  const at = (role) => columns.findIndex((c) => c.name === meta.fields?.[role]);
  const name = (role) => meta.fields?.[role];
  const axes = (x, y) => ({ xaxis: { title: { text: meta.axes?.x ?? x } },
    yaxis: { title: { text: meta.axes?.y ?? y } } });
  const layout = (x, y, extra = {}) => ({ title: { text: meta.title ?? "" }, ...axes(x, y),
    ...extra });
  switch (meta.plot) {
    case "line":
      return { data: lines(rows, at("x"), at("y"), at("stroke"), "lines+markers"),
        layout: layout(name("x"), name("y")) };
    case "scatter":
      return { data: lines(rows, at("x"), at("y"), -1, "markers"),
        layout: layout(name("x"), name("y")) };
    case "bar":
      return { data: [{ type: "bar", x: rows.map((r) => String(r[at("label")])),
        y: rows.map((r) => num(r[at("value")])) }], layout: layout(name("label"), name("value")) };
    case "histogram":
      return { data: [{ type: "histogram", x: rows.map((r) => num(r[at("value")])) }],
        layout: layout(name("value"), "count") };
    case "line_series":
      return { data: lines(rows, at("step"), at("lineVal"), at("lineKey"), "lines"),
        layout: layout("step", "") };
    case "pr_curve":
    case "roc_curve": {
      const data = lines(rows, at("x"), at("y"), at("class"), "lines");
      if (meta.plot === "roc_curve") {
        data.push({ type: "scatter", mode: "lines", name: "chance", x: [0, 1], y: [0, 1],
          line: { dash: "dot", color: "#888" } });
      }
      return { data, layout: layout(name("x"), name("y"),
        { xaxis: { title: { text: meta.axes?.x }, range: [0, 1] },
          yaxis: { title: { text: meta.axes?.y }, range: [0, 1.05] } }) };
    }
    case "confusion_matrix": {
      const [actual, predicted, count] = [at("Actual"), at("Predicted"), at("nPredictions")];
      const labels = [...new Set(rows.flatMap((r) => [String(r[actual]), String(r[predicted])]))];
      const z = labels.map(() => labels.map(() => 0));
      for (const r of rows) {
        z[labels.indexOf(String(r[actual]))][labels.indexOf(String(r[predicted]))] += num(r[count]);
      }
      return { data: [{ type: "heatmap", x: labels, y: labels, z, colorscale: "Blues",
        reversescale: true, texttemplate: "%{z}",
        hovertemplate: "actual %{y}<br>predicted %{x}<br>%{z}<extra></extra>" }],
      layout: layout("Predicted", "Actual", { yaxis: { title: { text: "Actual" },
        autorange: "reversed", type: "category" }, xaxis: { title: { text: "Predicted" },
        type: "category" } }) };
    }
    default:
      return null;
  }
}

async function allRows(runId, item) {
  const first = await api.table(runId, item.key, { step: item.step, context: item.context,
    limit: PAGE });
  const rows = [...first.rows];
  while (rows.length < Math.min(first.total, PLOT_ROWS)) {
    const page = await api.table(runId, item.key, { step: item.step, context: item.context,
      offset: rows.length, limit: PAGE });
    if (!page.rows.length) break;
    rows.push(...page.rows);
  }
  return { columns: first.columns, rows: rows.slice(0, PLOT_ROWS), total: first.total };
}

/** The chart of the plot logged as `item` by run `runId`. */
export function plotView(runId, item) {
  const chart = h("div", { class: "chart plot", dataset: { plot: item.meta?.plot ?? "" } });
  const note = h("p", { class: "muted" });
  (async () => {
    const { columns, rows, total } = await allRows(runId, item);
    const figure = plotFigure(item.meta ?? {}, columns, rows);
    if (!figure) {
      fill(chart, errorNotice(new Error(`A plot of kind "${item.meta?.plot}" cannot be drawn.`)));
      return;
    }
    if (total > rows.length) note.textContent = `The first ${rows.length} of ${total} rows.`;
    const Plotly = await loadPlotly("full");
    const colors = chartColors();
    const grid = { gridcolor: colors.grid };
    await Plotly.react(chart, figure.data, { height: 340, margin: { l: 60, r: 20, t: 40, b: 50 },
      paper_bgcolor: colors.bg, plot_bgcolor: colors.bg, font: { color: colors.fg },
      ...figure.layout, title: { ...figure.layout.title, font: { size: 13 } },
      xaxis: { ...grid, ...figure.layout.xaxis }, yaxis: { ...grid, ...figure.layout.yaxis } },
    { displaylogo: false, responsive: true });
  })().catch((err) => fill(chart, errorNotice(err)));
  return h("div", {}, chart, note);
}
