// The sweep page's numbers: goal, trial order, best so far and parameter importance.

import assert from "node:assert/strict";
import { test } from "node:test";
import { ui } from "./support.js";

const { bestSoFar, bestTrial, goalOf, importance, metricOf, sortTrials, statusCounts } =
  await import(ui("sweep_stats.js"));

const trial = (number, params, metric, status = "FINISHED") =>
  ({ number, params, metric, status });

test("the goal and metric of a config, minimize by default as W&B's", () => {
  assert.equal(goalOf({ metric: { name: "acc", goal: "maximize" } }), "maximize");
  assert.equal(goalOf({ metric: { name: "loss" } }), "minimize");
  assert.equal(goalOf({}), "minimize");
  assert.equal(metricOf({ metric: { name: "loss" } }), "loss");
  assert.equal(metricOf({ method: "grid" }), "");
});

test("trials sort by metric or a nested parameter, those without a value last", () => {
  const trials = [
    trial(0, { opt: { lr: 0.1 } }, 3),
    trial(1, { opt: { lr: 0.01 } }, null, "RUNNING"),
    trial(2, { opt: { lr: 0.5 } }, 1),
    trial(3, { opt: {} }, 2),
  ];
  const numbers = (sorted) => sorted.map((t) => t.number);
  assert.deepEqual(numbers(sortTrials(trials, "metric")), [2, 3, 0, 1]);
  assert.deepEqual(numbers(sortTrials(trials, "metric", true)), [0, 3, 2, 1]);
  assert.deepEqual(numbers(sortTrials(trials, "params.opt.lr")), [1, 0, 2, 3]);
  assert.deepEqual(numbers(sortTrials(trials, "status")), [0, 2, 3, 1]);
});

test("the best so far follows the goal, in trial order, skipping trials without a metric", () => {
  const trials = [trial(2, {}, 5), trial(0, {}, 3), trial(1, {}, null), trial(3, {}, 1),
    trial(4, {}, Number.NaN, "STOPPED")];
  assert.deepEqual(bestSoFar(trials, "minimize"),
    { numbers: [0, 2, 3], values: [3, 5, 1], best: [3, 3, 1] });
  assert.deepEqual(bestSoFar(trials, "maximize").best, [3, 5, 5]);
  assert.equal(bestTrial(trials, "minimize").number, 3);
  assert.equal(bestTrial(trials, "maximize").number, 2);
  assert.equal(bestTrial([trial(1, {}, 2), trial(0, {}, 2)], "minimize").number, 0);
  assert.equal(bestTrial([trial(0, {}, null, "RUNNING")], "minimize"), null);
});

test("importance: |Pearson r| for numbers, the correlation ratio for categories", () => {
  const trials = [
    trial(0, { lr: 1, opt: "sgd", seed: 7 }, 2),
    trial(1, { lr: 2, opt: "adam", seed: 7 }, 4),
    trial(2, { lr: 3, opt: "sgd", seed: 7 }, 6),
    trial(3, { lr: 4, opt: "adam", seed: 7 }, 8),
    trial(4, { lr: 9, opt: "sgd", seed: 7 }, null, "FAILED"),
  ];
  const rows = importance(trials);
  // seed never varies: it tells nothing and is left out.
  assert.deepEqual(rows.map((r) => r.param), ["lr", "opt"]);
  assert.equal(rows[0].importance, 1);
  assert.equal(rows[0].correlation, 1);
  // Means 4 (sgd) and 6 (adam) around 5: between-groups 4 of the total 20.
  assert.ok(Math.abs(rows[1].importance - Math.sqrt(4 / 20)) < 1e-12);
  assert.equal(rows[1].correlation, null);
  const falling = importance(trials.map((t) => ({ ...t, metric: t.metric && -t.metric })));
  assert.equal(falling[0].correlation, -1);
});

test("importance needs three scored trials and a metric that varies", () => {
  assert.deepEqual(importance([trial(0, { lr: 1 }, 1), trial(1, { lr: 2 }, 2)]), []);
  const flat = [trial(0, { lr: 1 }, 1), trial(1, { lr: 2 }, 1), trial(2, { lr: 3 }, 1)];
  assert.deepEqual(importance(flat), []);
});

test("status counts in the order the statuses first show", () => {
  const trials = [trial(0, {}, 1), trial(1, {}, null, "RUNNING"), trial(2, {}, 2)];
  assert.deepEqual(statusCounts(trials), [["FINISHED", 2], ["RUNNING", 1]]);
});
