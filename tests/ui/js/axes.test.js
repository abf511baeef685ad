// The y-axis ranges that keep a panel from misleading: constant series and percentages.

import assert from "node:assert/strict";
import { test } from "node:test";
import { ui } from "./support.js";

const { finiteExtent, yRange } = await import(ui("axes.js"));

test("the extent leaves out NaN and infinities", () => {
  assert.deepEqual(finiteExtent([new Float64Array([3, NaN, 1]), [Infinity, 2]]), [1, 3]);
  assert.equal(finiteExtent([[NaN], []]), null);
});

test("a varying series keeps plotly's automatic range", () => {
  assert.equal(yRange("loss", [0.1, 2], false), null);
  assert.equal(yRange("loss", null, false), null);
});

test("a constant series is centred on its own scale, not on -1..1", () => {
  const [lo, hi] = yRange("lr", [1e-4, 1e-4], false);
  assert.ok(lo > 0 && hi < 2e-4 && lo < 1e-4 && hi > 1e-4, `${lo}..${hi}`);
  assert.deepEqual(yRange("neg", [-5, -5], false), [-5.5, -4.5]);
  assert.deepEqual(yRange("zero", [0, 0], false), [-1, 1]);
  assert.deepEqual(yRange("lr", [100, 100], true), [1.5, 2.5]); // log axis: powers of ten
  assert.equal(yRange("lr", [0, 0], true), null);
});

test("the machine's percentages sit on 0..100, or above where a process uses more cores", () => {
  assert.deepEqual(yRange("system/cpu_percent", [3.1, 3.9], false), [0, 100]);
  assert.deepEqual(yRange("system/gpu.0.memory_percent", [7, 7], false), [0, 100]);
  const [, hi] = yRange("system/proc_cpu_percent", [90, 250], false);
  assert.ok(hi >= 250);
  assert.equal(yRange("val_percent", [3, 4], false), null); // the user's own metric
  assert.equal(yRange("system/cpu_percent", [3, 4], true), null); // log scale chosen
});
