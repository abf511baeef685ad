// Metric series as the browser holds them: decoding the raw wire format, smoothing, x-axes.

/** {steps, values, times} from the raw little-endian body (int64 steps, float64, int64 ms). */
export function decodeSeries(buffer) {
  const n = buffer.byteLength / 24;
  const steps = new BigInt64Array(buffer, 0, n);
  const times = new BigInt64Array(buffer, 16 * n, n);
  return {
    steps: Float64Array.from(steps, Number),
    values: new Float64Array(buffer, 8 * n, n),
    times: Float64Array.from(times, Number),
  };
}

/** Exponential moving average with weight `alpha` in [0, 1) (0: none), debiased like
 * TensorBoard's so the first points are not pulled towards zero; NaN points are skipped. */
export function ema(values, alpha) {
  if (!alpha) return values;
  const out = new Float64Array(values.length);
  let acc = 0;
  let weight = 0;
  for (let i = 0; i < values.length; i += 1) {
    const v = values[i];
    if (Number.isFinite(v)) {
      acc = alpha * acc + (1 - alpha) * v;
      weight = alpha * weight + (1 - alpha);
    }
    out[i] = weight ? acc / weight : v;
  }
  return out;
}

export const X_AXES = {
  step: { label: "step", title: "step" },
  relative: { label: "relative time", title: "seconds since start" },
  wall: { label: "wall time", title: "time" },
};

/** The x coordinates of `series` for x-axis `axis` (a key of X_AXES). */
export function xValues(series, axis, startTime) {
  if (axis === "relative") return Array.from(series.times, (t) => (t - startTime) / 1000);
  if (axis === "wall") return Array.from(series.times, (t) => new Date(t));
  return series.steps;
}
