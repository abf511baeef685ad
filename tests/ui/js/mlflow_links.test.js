// MLflow's UI links map onto tracklog's pages.

import assert from "node:assert/strict";
import { test } from "node:test";
import { ui } from "./support.js";

const { mlflowTarget } = await import(ui("pages/mlflow_links.js"));

const none = new URLSearchParams();
const projects = [{ id: 0, name: "Default" }, { id: 2, name: "vision/2024" }];

test("a run link opens the run, whatever its experiment", () => {
  assert.equal(mlflowTarget("/experiments/2/runs/abc123", none, []), "#/runs/abc123");
  assert.equal(mlflowTarget("/experiments/9/runs/abc123/artifacts", none, []), "#/runs/abc123");
});

test("an experiment link opens the project with that id", () => {
  assert.equal(mlflowTarget("/experiments/2", none, projects), "#/projects/vision%2F2024");
  assert.equal(mlflowTarget("/experiments/0/", none, projects), "#/projects/Default");
  assert.match(mlflowTarget("/experiments/7", none, projects).message, /experiment id 7/);
});

test("a compare link opens the compare page with its runs", () => {
  const params = new URLSearchParams({ runs: '["a1","b2"]', experiments: '["2"]' });
  assert.equal(mlflowTarget("/compare-runs", params, []), "#/compare?runs=a1%2Cb2");
  for (const bad of ["[1,2]", "not json", '{"a":1}']) {
    const answer = mlflowTarget("/compare-runs", new URLSearchParams({ runs: bad }), []);
    assert.match(answer.message, /JSON list of run ids/);
  }
});
