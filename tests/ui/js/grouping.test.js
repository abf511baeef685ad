// Runs grouped by a config key: labels, and the mean line over a min-max or ±std band.

import assert from "node:assert/strict";
import { test } from "node:test";
import { ui } from "./support.js";

const { groupBands, groupOf } = await import(ui("grouping.js"));

const run = (config) => ({ config });
const line = (config, x, y) => ({ run: run(config), x, y });

test("group labels: nested and dotted keys, text as is, other values as JSON", () => {
  assert.equal(groupOf(run({ optimizer: { name: "adam" } }), "optimizer.name"), "adam");
  assert.equal(groupOf(run({ "optimizer.name": "sgd" }), "optimizer.name"), "sgd");
  assert.equal(groupOf(run({ lr: 0.1 }), "lr"), "0.1");
  assert.equal(groupOf(run({ lr: null }), "lr"), "null");
  assert.equal(groupOf(run({}), "lr"), "(none)");
  // Different objects and lists are different groups.
  assert.notEqual(groupOf(run({ o: { a: 1 } }), "o"), groupOf(run({ o: { a: 2 } }), "o"));
  assert.notEqual(groupOf(run({ l: ["a,b"] }), "l"), groupOf(run({ l: ["a", "b"] }), "l"));
});

test("a key from the URL never reaches the config's prototype", () => {
  for (const key of ["constructor", "__proto__", "toString", "a.constructor", "hasOwnProperty"]) {
    assert.equal(groupOf(run({ a: {} }), key), "(none)", key);
  }
});

test("min-max band and mean of a group on a common grid", () => {
  const [band] = groupBands([
    line({ m: "x" }, [0, 10], [0, 10]),
    line({ m: "x" }, [0, 10], [2, 30]),
  ], "m");
  assert.equal(band.label, "x");
  assert.equal(band.count, 2);
  assert.equal(band.x.length, 400);
  assert.equal(band.x[0], 0);
  assert.equal(band.x.at(-1), 10);
  assert.deepEqual([band.min[0], band.max[0], band.mean[0]], [0, 2, 1]);
  assert.deepEqual([band.min.at(-1), band.max.at(-1), band.mean.at(-1)], [10, 30, 20]);
  // Sample standard deviation of {10, 30}: sqrt(((10-20)^2 + (30-20)^2) / 1).
  assert.equal(band.std.at(-1), Math.sqrt(200));
});

test("±std band: 0 for a lone run; NaN where no run has a point", () => {
  const [band] = groupBands([line({ m: "a" }, [0, 4], [1, 1]), line({ m: "a" }, [2, 4], [3, 3])],
    "m");
  assert.equal(band.std[0], 0); // only the first run reaches x = 0
  assert.equal(band.mean[0], 1);
  assert.equal(band.mean.at(-1), 2);
  const [single] = groupBands([line({ m: "b" }, [5], [7])], "m");
  assert.deepEqual([single.x, single.mean, single.std], [[5], [7], [0]]);
  const [gap] = groupBands([line({ m: "c" }, [0, 1], [NaN, NaN])], "m");
  assert.ok(gap.mean.every(Number.isNaN));
});

test("points without a finite x (a metric x-axis before its first step) are left out", () => {
  // On an x-axis of another metric, x is NaN where that metric has no points yet.
  const [band] = groupBands([
    line({ m: "a" }, [NaN, 1, 2, NaN], [9, 1, 2, 9]),
    line({ m: "a" }, [1, 2], [3, 4]),
  ], "m");
  assert.equal(band.x[0], 1);
  assert.equal(band.x.at(-1), 2);
  assert.deepEqual([band.mean[0], band.mean.at(-1)], [2, 3]);
  assert.deepEqual(groupBands([line({ m: "a" }, [NaN], [1])], "m"), []);
});

test("groups in natural order, runs without the key in (none), lines without points out", () => {
  const bands = groupBands([
    line({ w: 10 }, [0, 1], [0, 1]), line({ w: 2 }, [0, 1], [0, 1]),
    line({}, [0, 1], [0, 1]), line({ w: 3 }, [], []),
  ], "w");
  assert.deepEqual(bands.map((b) => b.label), ["(none)", "2", "10"]);
});
