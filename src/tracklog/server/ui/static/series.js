// Metric series as the browser holds them: decoding the raw wire format, smoothing, x-axes.

/** {steps, values, times} from the raw little-endian arrays (int64 steps, float64, int64 ms)
 * of `n` points at byte `offset` (a multiple of 8) of `buffer`; by default all of it. */
function decodeSeries(buffer, offset = 0, n = buffer.byteLength / 24) {
  const steps = new BigInt64Array(buffer, offset, n);
  const times = new BigInt64Array(buffer, offset + 16 * n, n);
  return {
    steps: Float64Array.from(steps, Number),
    values: new Float64Array(buffer, offset + 8 * n, n),
    times: Float64Array.from(times, Number),
  };
}

/** The series of a batch body, in order: each an int64 point count (-1: no such series, null)
 * followed by its arrays as decodeSeries reads them. */
export function decodeSeriesBatch(buffer) {
  const view = new DataView(buffer);
  const out = [];
  for (let at = 0; at < buffer.byteLength;) {
    const n = at + 8 <= buffer.byteLength ? Number(view.getBigInt64(at, true)) : NaN;
    if (!(n >= -1) || at + 8 + 24 * Math.max(n, 0) > buffer.byteLength) {
      throw new Error(`The series answer is malformed: ${buffer.byteLength} bytes, `
        + `a series of ${n} points at byte ${at}.`);
    }
    at += 8;
    out.push(n < 0 ? null : decodeSeries(buffer, at, n));
    at += 24 * Math.max(n, 0);
  }
  return out;
}

/** The strongest smoothing the slider offers (1 would be a flat line). */
export const MAX_SMOOTH = 0.99;

/** Exponential moving average with weight `alpha` in [0, 1) (0: none), debiased like
 * TensorBoard's so the first points are not pulled towards zero. As in TensorBoard, a NaN or
 * infinite point stays as it is (a diverging run must not look smooth) and leaves the
 * average alone. */
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
    out[i] = Number.isFinite(v) ? acc / weight : v;
  }
  return out;
}

/** Linear interpolation of (xs, ys), xs ascending, at the ascending points `at` (NaN
 * outside xs' range). */
export function interpolate(xs, ys, at) {
  const out = new Float64Array(at.length).fill(NaN);
  let j = 0;
  at.forEach((x, i) => {
    if (!xs.length || x < xs[0] || x > xs[xs.length - 1]) return;
    while (j < xs.length - 2 && xs[j + 1] < x) j += 1;
    const k = Math.min(j + 1, xs.length - 1);
    const t = xs[k] === xs[j] ? 0 : (x - xs[j]) / (xs[k] - xs[j]);
    out[i] = ys[j] + t * (ys[k] - ys[j]);
  });
  return out;
}

export const X_AXES = {
  step: { label: "step", title: "step" },
  relative: { label: "relative time", title: "seconds since start" },
  wall: { label: "wall time", title: "time" },
};
/** An x-axis "metric:KEY" plots against another metric of the same run (epoch, tokens...). */
export const METRIC_AXIS = "metric:";

export function axisTitle(axis) {
  return axis.startsWith(METRIC_AXIS) ? axis.slice(METRIC_AXIS.length) : X_AXES[axis].title;
}

/** The x coordinates of `series` for x-axis `axis`; for a metric axis, `xSeries` is that
 * metric's series of the same run, read at the same steps. */
export function xValues(series, axis, startTime, xSeries) {
  if (axis === "relative") return Array.from(series.times, (t) => (t - startTime) / 1000);
  if (axis === "wall") return Array.from(series.times, (t) => new Date(t));
  if (axis.startsWith(METRIC_AXIS)) {
    return xSeries ? interpolate(xSeries.steps, xSeries.values, series.steps)
      : new Float64Array(series.steps.length).fill(NaN);
  }
  return series.steps;
}
