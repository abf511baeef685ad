// The table viewer's and the plot panels' pure parts: cell text, sort cycling and order-by
// clauses, and each tracklog.plot kind's traces from its data table.

import assert from "node:assert/strict";
import { test } from "node:test";
import { ui } from "./support.js";

const { fmtValue } = await import(ui("dom.js"));
const { nextSort, orderClause } = await import(ui("tables.js"));
const { plotFigure } = await import(ui("plots.js"));

test("cells: integers as they are, floats to 6 digits, the wire's NaN as written", () => {
  assert.equal(fmtValue(12, 6), "12");
  assert.equal(fmtValue(0.123456789, 6), "0.123457");
  assert.equal(fmtValue(0.123456789), "0.1235");
  assert.equal(fmtValue("NaN", 6), "NaN");
  assert.equal(fmtValue(null, 6), "");
  assert.equal(fmtValue(false, 6), "false");
  assert.equal(fmtValue({ a: [1] }, 6), '{"a":[1]}');
});

test("a header cycles ascending, descending, unsorted; another header starts ascending", () => {
  let sort = nextSort(null, "score");
  assert.deepEqual(sort, { column: "score", desc: false });
  sort = nextSort(sort, "score");
  assert.deepEqual(sort, { column: "score", desc: true });
  assert.equal(nextSort(sort, "score"), null);
  assert.deepEqual(nextSort(sort, "id"), { column: "id", desc: false });
  assert.equal(orderClause("my col", true), "`my col` DESC");
});

const cols = (...names) => names.map((name) => ({ name, type: "float" }));

test("a line plot draws a line per stroke value", () => {
  const meta = { plot: "line", fields: { x: "step", y: "loss", stroke: "split" }, title: "L" };
  const rows = [[0, 1, "train"], [1, "NaN", "train"], [0, 2, "val"]];
  const { data, layout } = plotFigure(meta, cols("step", "loss", "split"), rows);
  assert.deepEqual(data.map((t) => [t.name, t.x, t.y]),
    [["train", [0, 1], [1, NaN]], ["val", [0], [2]]]);
  assert.equal(layout.title.text, "L");
  assert.equal(layout.xaxis.title.text, "step");
});

test("bar, histogram, scatter and line series take their roles' columns", () => {
  const rows = [[0, 1.5, "a"], [1, 2.5, "b"]];
  const columns = cols("x", "y", "k");
  const bar = plotFigure({ plot: "bar", fields: { label: "k", value: "y" } }, columns, rows);
  assert.deepEqual([bar.data[0].type, bar.data[0].x, bar.data[0].y], ["bar", ["a", "b"], [1.5, 2.5]]);
  const hist = plotFigure({ plot: "histogram", fields: { value: "y" } }, columns, rows);
  assert.deepEqual(hist.data[0].x, [1.5, 2.5]);
  const dots = plotFigure({ plot: "scatter", fields: { x: "x", y: "y" } }, columns, rows);
  assert.equal(dots.data.length, 1);
  assert.equal(dots.data[0].mode, "markers");
  const series = plotFigure({ plot: "line_series", axes: { x: "epoch" },
    fields: { step: "x", lineVal: "y", lineKey: "k" } }, columns, rows);
  assert.deepEqual(series.data.map((t) => t.name), ["a", "b"]);
  assert.equal(series.layout.xaxis.title.text, "epoch");
});

test("ROC curves per class with the chance diagonal; PR curves without", () => {
  const columns = cols("class", "fpr", "tpr");
  const rows = [["a", 0, 0], ["a", 1, 1], ["b", 0, 0.5]];
  const fields = { class: "class", x: "fpr", y: "tpr" };
  const roc = plotFigure({ plot: "roc_curve", fields, axes: { x: "FPR", y: "TPR" } }, columns,
    rows);
  assert.deepEqual(roc.data.map((t) => t.name), ["a", "b", "chance"]);
  assert.equal(roc.layout.xaxis.title.text, "FPR");
  const pr = plotFigure({ plot: "pr_curve", fields }, columns, rows);
  assert.deepEqual(pr.data.map((t) => t.name), ["a", "b"]);
});

test("a confusion matrix: counts summed into actual × predicted", () => {
  const meta = { plot: "confusion_matrix",
    fields: { Actual: "Actual", Predicted: "Predicted", nPredictions: "nPredictions" } };
  const columns = cols("Actual", "Predicted", "nPredictions");
  const rows = [["cat", "cat", 3], ["cat", "dog", 1], ["dog", "cat", 0], ["dog", "dog", 2]];
  const [trace] = plotFigure(meta, columns, rows).data;
  assert.deepEqual(trace.x, ["cat", "dog"]);
  assert.deepEqual(trace.z, [[3, 1], [0, 2]]);
});

test("an unknown plot kind draws nothing", () => {
  assert.equal(plotFigure({ plot: "sankey", fields: {} }, [], []), null);
});
