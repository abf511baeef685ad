// Page state in the URL's hash: parsing, links, round trips and hand-edited values.

import assert from "node:assert/strict";
import { test } from "node:test";
import { ui } from "./support.js";

const { link, listParam, pageParam, parseHash } = await import(ui("state.js"));
const { chartOptions } = await import(ui("pages/charts.js"));

const params = (query) => new URLSearchParams(query);

test("a hash parses into its path and parameters", () => {
  const { path, params: p } = parseHash("#/projects/vision?filter=a%20b&sort=x");
  assert.equal(path, "/projects/vision");
  assert.equal(p.get("filter"), "a b");
  assert.equal(p.get("sort"), "x");
  assert.equal(parseHash("").path, "/");
  assert.equal(parseHash("#").path, "/");
  assert.equal(parseHash("#?q=1").path, "/");
});

test("a '?' typed into a value by hand stays part of it", () => {
  const { path, params: p } = parseHash("#/charts?filter=tags.q = 'why?'&x=step");
  assert.equal(path, "/charts");
  assert.equal(p.get("filter"), "tags.q = 'why?'");
  assert.equal(p.get("x"), "step");
});

test("links round-trip any text, empty values dropped", () => {
  const hostile = {
    filter: "params.lr > 0.1 AND tags.`a&b` = 'x=y#z?%20+'",
    q: "naïve ✓ \u0000 <script>",
    runs: "a,b",
    none: "", gone: null, also: undefined,
  };
  const href = link("/projects/p%2Fq", hostile);
  assert.ok(href.startsWith("#/projects/p%2Fq?"));
  const { path, params: p } = parseHash(href);
  assert.equal(path, "/projects/p%2Fq");
  assert.deepEqual(Object.fromEntries(p), { filter: hostile.filter, q: hostile.q, runs: "a,b" });
  assert.equal(link("/"), "#/");
  assert.equal(link("/x", params("a=1&b=")), "#/x?a=1");
});

test("list parameters drop empty items", () => {
  assert.deepEqual(listParam(params("runs=a,,b,"), "runs"), ["a", "b"]);
  assert.deepEqual(listParam(params("runs="), "runs"), []);
  assert.deepEqual(listParam(params(""), "runs"), []);
});

test("a page number is a whole number from 0; anything else is page 0", () => {
  assert.equal(pageParam(params("page=3")), 3);
  assert.equal(pageParam(params("")), 0);
  for (const bad of ["-1", "x", "1.5", "Infinity", "1e400", "NaN"]) {
    assert.equal(pageParam(params(`page=${bad}`)), 0, bad);
  }
});

test("chart options from the URL, and their defaults", () => {
  assert.deepEqual(chartOptions(params("")), { x: "step", smooth: 0, log: false, metrics: [],
    context: "", group: "", band: "" });
  assert.deepEqual(chartOptions(params(
    "x=metric:epoch&smooth=0.8&log=1&metrics=loss,acc&context={}&group=model&band=std")), {
    x: "metric:epoch", smooth: 0.8, log: true, metrics: ["loss", "acc"], context: "{}",
    group: "model", band: "std" });
  assert.equal(chartOptions(params("x=wall")).x, "wall");
  assert.equal(chartOptions(params("x=relative")).x, "relative");
});

test("hand-edited chart options the controls cannot take fall back", () => {
  // An unknown x-axis would have no title (a TypeError drawing every panel).
  for (const x of ["bogus", "constructor", "toString", "metric:", ""]) {
    assert.equal(chartOptions(params(`x=${x}`)).x, "step", x);
  }
  // Smoothing past 1 makes the average diverge; NaN would show as "NaN" by the slider.
  assert.equal(chartOptions(params("smooth=5")).smooth, 0.99);
  assert.equal(chartOptions(params("smooth=-1")).smooth, 0);
  assert.equal(chartOptions(params("smooth=abc")).smooth, 0);
  assert.equal(chartOptions(params("band=other")).band, "");
});
