// Values formatted for display, nested objects, and run colours.

import assert from "node:assert/strict";
import { test } from "node:test";
import { ui } from "./support.js";

const { dig, flatten, fmtBytes, fmtDuration, fmtTime, fmtValue } = await import(ui("dom.js"));
const { runColors } = await import(ui("colors.js"));

test("values: numbers to 4 significant digits, integers whole, objects as JSON", () => {
  assert.equal(fmtValue(0.123456), "0.1235");
  assert.equal(fmtValue(123456.7), "123500");
  assert.equal(fmtValue(1e-7 / 3), "3.333e-8");
  assert.equal(fmtValue(42), "42");
  assert.equal(fmtValue(-0), "0");
  // The wire's non-finite numbers are strings: shown as they are.
  assert.equal(fmtValue("NaN"), "NaN");
  assert.equal(fmtValue("-Infinity"), "-Infinity");
  assert.equal(fmtValue(null), "");
  assert.equal(fmtValue(undefined), "");
  assert.equal(fmtValue(false), "false");
  assert.equal(fmtValue({ a: [1, "b"] }), '{"a":[1,"b"]}');
  assert.equal(fmtValue("<b>"), "<b>");
});

test("durations and byte counts", () => {
  assert.equal(fmtDuration(5200), "5.2s");
  assert.equal(fmtDuration(0), "0.0s");
  assert.equal(fmtDuration(184000), "3m 04s");
  assert.equal(fmtDuration(3720000), "1h 02m");
  assert.equal(fmtDuration(null), "");
  assert.equal(fmtDuration(NaN), "");
  assert.equal(fmtBytes(12), "12 B");
  assert.equal(fmtBytes(3.4 * 1024), "3.4 KiB");
  assert.equal(fmtBytes(5.6 * 1024 ** 2), "5.6 MiB");
  assert.equal(fmtBytes(3 * 1024 ** 4), "3072.0 GiB");
});

test("a value just below the next unit never shows as 60 s or 1024 of its own", () => {
  assert.equal(fmtDuration(59960), "59.9s");
  assert.equal(fmtDuration(59940), "59.9s");
  assert.equal(fmtDuration(3599999), "59m 59s");
  assert.equal(fmtBytes(1024 ** 2 - 1), "1.0 MiB");
  assert.equal(fmtBytes(1023), "1023 B");
  assert.equal(fmtBytes(1024), "1.0 KiB");
});

test("a running run's duration is never negative (a browser clock behind the server's)", () => {
  assert.equal(fmtDuration(-1500), "0.0s");
});

test("times as local YYYY-MM-DD HH:MM:SS", () => {
  const d = new Date(2024, 0, 2, 3, 4, 5);
  assert.equal(fmtTime(d.getTime()), "2024-01-02 03:04:05");
  assert.equal(fmtTime(null), "");
  assert.equal(fmtTime(0), fmtTime(new Date(0).getTime()));
});

test("dig reads dotted paths, own keys only", () => {
  const config = { optimizer: { lr: 0.1, betas: [0.9] }, "a.b": 1, a: { b: 2 } };
  assert.equal(dig(config, "optimizer.lr"), 0.1);
  assert.equal(dig(config, "optimizer.betas.0"), 0.9);
  assert.equal(dig(config, "a.b"), 1); // a literal dotted key wins
  assert.equal(dig(config, "optimizer.missing"), undefined);
  assert.equal(dig(null, "a"), undefined);
  assert.equal(dig("text", "length"), undefined);
  for (const key of ["constructor", "__proto__", "optimizer.toString", "valueOf"]) {
    assert.equal(dig(config, key), undefined, key);
  }
});

test("flatten: nested objects to dotted keys; lists and null are leaves", () => {
  assert.deepEqual(flatten({ a: { b: { c: 1 } }, l: [1, { x: 2 }], n: null, e: {} }),
    { "a.b.c": 1, l: [1, { x: 2 }], n: null });
  assert.deepEqual(flatten(null), {});
});

test("run colours: stable per run, never shared among runs drawn together", () => {
  const ids = Array.from({ length: 40 }, (_, i) => `run-${i}`);
  const colors = runColors(ids);
  assert.equal(new Set(colors.values()).size, 40);
  assert.equal(new Set(runColors(Array.from({ length: 500 }, (_, i) => `r${i}`)).values()).size,
    500);
  assert.equal(runColors(["run-3", "run-7"]).get("run-3"), runColors(["run-7", "run-3"]).get("run-3"));
  assert.deepEqual([...runColors(["x", "x"]).keys()], ["x"]);
});
