// Series as the browser holds them: the server's raw batch body, smoothing, interpolation,
// x-axes.

import assert from "node:assert/strict";
import { test } from "node:test";
import { oracle, ui } from "./support.js";

const { decodeSeriesBatch, ema, interpolate, xValues, axisTitle } = await import(ui("series.js"));

/** A batch body as the route documents it: per series an int64 count, then the arrays. */
function batch(...series) {
  const parts = series.map((s) => {
    if (s === null) return new BigInt64Array([-1n]).buffer;
    const n = s.steps.length;
    const buf = new ArrayBuffer(8 + 24 * n);
    new BigInt64Array(buf, 0, 1)[0] = BigInt(n);
    new BigInt64Array(buf, 8, n).set(s.steps.map(BigInt));
    new Float64Array(buf, 8 + 8 * n, n).set(s.values);
    new BigInt64Array(buf, 8 + 16 * n, n).set(s.times.map(BigInt));
    return buf;
  });
  const out = new Uint8Array(parts.reduce((a, p) => a + p.byteLength, 0));
  let at = 0;
  for (const p of parts) { out.set(new Uint8Array(p), at); at += p.byteLength; }
  return out.buffer;
}

test("the real server's batch body decodes to its runs' points, NaN and infinities kept", () => {
  const body = Buffer.from(oracle("series").trim(), "base64");
  const buffer = body.buffer.slice(body.byteOffset, body.byteOffset + body.byteLength);
  // Runs outer, keys inner: a/loss, a/acc, b/loss, b/acc (b never logged acc).
  const [aLoss, aAcc, bLoss, bAcc] = decodeSeriesBatch(buffer);
  assert.deepEqual([...aLoss.steps], [0, 10, 20, 30]);
  assert.deepEqual([...aLoss.values], [0.5, NaN, Infinity, -Infinity]);
  assert.deepEqual([...aLoss.times], [1.7e12, 1.7e12 + 1, 1.7e12 + 2, 1.7e12 + 3]);
  assert.deepEqual([...aAcc.steps], [3]);
  assert.deepEqual([...aAcc.values], [-2.25]);
  assert.deepEqual([...aAcc.times], [7]);
  assert.deepEqual([...bLoss.values], [0.5, NaN]);
  assert.equal(bAcc, null);
});

test("an empty series and a missing one are told apart; an empty body is no series", () => {
  const [empty, missing] = decodeSeriesBatch(batch({ steps: [], values: [], times: [] }, null));
  assert.equal(empty.steps.length, 0);
  assert.equal(missing, null);
  assert.deepEqual(decodeSeriesBatch(new ArrayBuffer(0)), []);
});

test("steps and times past 2**31 and negative steps decode exactly", () => {
  const [s] = decodeSeriesBatch(batch({ steps: [-5, 2 ** 40], values: [1, 2],
    times: [0, 4102444800000] }));
  assert.deepEqual([...s.steps], [-5, 2 ** 40]);
  assert.deepEqual([...s.times], [0, 4102444800000]);
});

test("a body cut short or with a nonsense count is refused with a clear error", () => {
  const whole = batch({ steps: [1, 2], values: [1, 2], times: [1, 2] });
  for (const cut of [whole.slice(0, whole.byteLength - 8), whole.slice(0, 4),
    batch({ steps: [1], values: [1], times: [1] }).slice(0, 8 + 16)]) {
    assert.throws(() => decodeSeriesBatch(cut), /series answer is malformed/);
  }
  const bogus = new BigInt64Array([-7n]).buffer;
  assert.throws(() => decodeSeriesBatch(bogus), /series answer is malformed/);
});

test("ema: 0 leaves the values alone; the first point is not pulled towards zero", () => {
  const values = Float64Array.from([10, 10, 10]);
  assert.equal(ema(values, 0), values);
  assert.deepEqual([...ema(values, 0.9)], [10, 10, 10]);
  const [first, second] = ema(Float64Array.from([1, 3]), 0.5);
  assert.equal(first, 1);
  assert.equal(second, (0.25 + 0.5 * 3) / 0.75); // debiased: (a*(1-a)*1 + (1-a)*3)/(1-a^2)
});

test("ema keeps NaN and infinite points as they are, and they leave the average alone", () => {
  const out = ema(Float64Array.from([2, NaN, Infinity, 2, -Infinity]), 0.6);
  assert.equal(out[0], 2);
  assert.ok(Number.isNaN(out[1]), "a NaN point must stay NaN: a diverged run must show");
  assert.equal(out[2], Infinity);
  assert.equal(out[3], 2);
  assert.equal(out[4], -Infinity);
  assert.ok(Number.isNaN(ema(Float64Array.from([NaN]), 0.5)[0]));
});

test("interpolate: linear inside, NaN outside, exact at the points, duplicates safe", () => {
  const out = interpolate([0, 10, 20], [0, 100, 0], [-1, 0, 5, 10, 15, 20, 21]);
  assert.deepEqual([...out], [NaN, 0, 50, 100, 50, 0, NaN]);
  assert.deepEqual([...interpolate([], [], [1])], [NaN]);
  assert.deepEqual([...interpolate([3], [7], [3])], [7]);
  assert.deepEqual([...interpolate([1, 1, 2], [5, 6, 8], [1, 1.5])], [5, 7]);
});

test("x values per axis: steps, seconds since the start, dates, another metric", () => {
  const series = { steps: Float64Array.from([0, 10]), values: Float64Array.from([1, 2]),
    times: Float64Array.from([5000, 7000]) };
  assert.equal(xValues(series, "step", 0), series.steps);
  assert.deepEqual(xValues(series, "relative", 4000), [1, 3]);
  assert.deepEqual(xValues(series, "wall", 0), [new Date(5000), new Date(7000)]);
  const epoch = { steps: Float64Array.from([0, 20]), values: Float64Array.from([0, 2]) };
  assert.deepEqual([...xValues(series, "metric:epoch", 0, epoch)], [0, 1]);
  assert.deepEqual([...xValues(series, "metric:epoch", 0, undefined)], [NaN, NaN]);
  assert.equal(axisTitle("metric:epoch"), "epoch");
  assert.equal(axisTitle("relative"), "seconds since start");
});
