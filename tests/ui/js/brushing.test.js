// The compare page's plots: config keys as parallel-coordinates axes, and the runs table
// filter a brush or a selection makes, checked against a real search.

import assert from "node:assert/strict";
import { test } from "node:test";
import { oracle, ui } from "./support.js";

const { brushFilter, configDimensions, selectionFilter } = await import(ui("brushing.js"));

const CONFIGS = [
  { lr: 0.1234566, model: "resnet", deep: { width: 64 }, "odd`key": 1, same: 1 },
  { lr: 0.5, model: "vit", deep: { width: 128 }, "odd`key": 2, same: 1 },
  { lr: 0.9, model: "resnet", deep: { width: 256 }, "odd`key": 3, same: 1 },
  { lr: 2e-7, model: "o'net", same: 1 },
];
const NAMES = CONFIGS.map((_, i) => `run${i}`);
const runs = CONFIGS.map((config) => ({ config }));

/** The names of the runs each filter matches in a real store. */
const search = (filters) => JSON.parse(oracle("filter", { names: NAMES, configs: CONFIGS,
  filters }));

test("axes: numbers as they are, text as categories, constant keys left out", () => {
  const dims = configDimensions(runs);
  assert.deepEqual(dims.map((d) => d.label), ["deep.width", "lr", "model", "odd`key"]);
  const width = dims[0];
  assert.deepEqual(width.values, [64, 128, 256, NaN]);
  const model = dims[2];
  assert.deepEqual(model.ticktext, ["o'net", "resnet", "vit"]);
  assert.deepEqual(model.values, [1, 2, 1, 0]);
  // Mixed numbers and text, lists, or too many categories make no axis.
  assert.deepEqual(configDimensions([{ config: { a: 1 } }, { config: { a: "x" } }]), []);
  assert.deepEqual(configDimensions([{ config: { a: [1] } }, { config: { a: [2] } }]), []);
  const many = Array.from({ length: 13 }, (_, i) => ({ config: { a: `v${i}` } }));
  assert.deepEqual(configDimensions(many), []);
});

test("a brush matches the runs inside it, even on its edge", () => {
  const dims = configDimensions(runs);
  const lr = dims.find((d) => d.label === "lr");
  const model = dims.find((d) => d.label === "model");
  const odd = dims.find((d) => d.label === "odd`key");
  const filters = [
    // plotly's brush ends are any float: one exactly on a run's value keeps that run.
    brushFilter([{ ...lr, constraintrange: [0.1234566, 0.5] }], "score"),
    brushFilter([{ ...lr, constraintrange: [1e-7, 0.1234566] }], "score"),
    brushFilter([{ ...model, constraintrange: [-0.2, 0.3] }], "score"),
    brushFilter([{ ...model, constraintrange: [[0.8, 1.2], [1.9, 2.1]] }, lr], "score"),
    brushFilter([{ ...odd, constraintrange: [2, 3] }], "score"),
    brushFilter([{ ...lr, constraintrange: [[0, 0.2], [0.8, 1]] }], "score"),
  ];
  assert.deepEqual(search(filters), [
    ["run0", "run1"], ["run0", "run3"], ["run3"], ["run0", "run1", "run2"], ["run1", "run2"],
    ["run0", "run1", "run2", "run3"], // disjoint ranges: the span (the grammar has no OR)
  ]);
  assert.equal(brushFilter([lr, model], "score"), "");
});

test("the brushed metric axis filters the summary metric", () => {
  const filter = brushFilter([{ label: "score", values: [1, 2], constraintrange: [1, 2] }],
    "score");
  assert.equal(filter, "metrics.`score` >= 1 AND metrics.`score` <= 2");
});

test("a scatter selection matches the runs selected", () => {
  const dims = configDimensions(runs);
  const width = dims.find((d) => d.label === "deep.width");
  const model = dims.find((d) => d.label === "model");
  const numeric = selectionFilter([{ x: 128, y: 3 }, { x: 256, y: 1 }], width, "score");
  assert.equal(numeric, "params.`deep.width` >= 128 AND params.`deep.width` <= 256 AND "
    + "metrics.`score` >= 1 AND metrics.`score` <= 3");
  const text = selectionFilter([{ x: 0, y: 1 }, { x: 2, y: 1 }], model, "score");
  assert.equal(text, "params.`model` IN ('o''net', 'vit') AND metrics.`score` >= 1 AND "
    + "metrics.`score` <= 1");
  const paramsOnly = (f) => f.split(" AND metrics.")[0];
  assert.deepEqual(search([paramsOnly(numeric), paramsOnly(text)]),
    [["run1", "run2"], ["run1", "run3"]]);
  assert.equal(selectionFilter([], width, "score"), "");
  assert.equal(selectionFilter(undefined, width, "score"), "");
});
