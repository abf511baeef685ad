// The runs table's default columns and the choice kept per project; numeric columns.

import assert from "node:assert/strict";
import { test } from "node:test";
import { ui } from "./support.js";

const { defaultColumns, isNumeric, storeColumns, storedColumns } = await import(ui("columns.js"));

test("the default columns: summary metrics, then the config keys that vary", () => {
  const keys = { params: ["epochs", "lr", "model"], metrics: ["_step", "acc", "loss",
    "system/cpu_percent"], tags: ["team"], varying_params: ["lr", "model"] };
  assert.deepEqual(defaultColumns(keys),
    ["metrics.acc", "metrics.loss", "params.lr", "params.model"]);
  assert.deepEqual(defaultColumns({ params: [], metrics: [], tags: [], varying_params: [] }), []);
});

test("a project with hundreds of keys starts with ten of each kind", () => {
  const many = Array.from({ length: 300 }, (_, i) => `k${String(i).padStart(3, "0")}`);
  const cols = defaultColumns({ params: many, metrics: many, tags: [], varying_params: many });
  assert.equal(cols.length, 20);
  assert.equal(cols[0], "metrics.k000");
  assert.equal(cols[10], "params.k000");
});

test("the choice is kept per project; an unreadable one counts as none", () => {
  const items = new Map();
  globalThis.localStorage = { getItem: (k) => items.get(k) ?? null,
    setItem: (k, v) => items.set(k, String(v)) };
  try {
    assert.equal(storedColumns("vision"), null);
    storeColumns("vision", ["metrics.acc"]);
    storeColumns("nlp", []);
    assert.deepEqual(storedColumns("vision"), ["metrics.acc"]);
    assert.deepEqual(storedColumns("nlp"), []); // "no extra columns" is a choice too
    items.set("tracklog.columns.bad", "{not json");
    assert.equal(storedColumns("bad"), null);
    items.set("tracklog.columns.odd", "[1, 2]");
    assert.equal(storedColumns("odd"), null);
  } finally {
    delete globalThis.localStorage;
  }
  assert.equal(storedColumns("vision"), null); // no storage at all: no choice
});

test("a column is numeric when every shown value is a number", () => {
  assert.equal(isNumeric([1, 2.5, undefined, "NaN"]), true);
  assert.equal(isNumeric([1, "adam"]), false);
  assert.equal(isNumeric([undefined, null, ""]), false);
  assert.equal(isNumeric([]), false);
});
