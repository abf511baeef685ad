// The y-axis of a metric panel where plotly's automatic range misleads: a constant series
// (plotly spans value ± 1, so 1e-4 reads as 0 on a -1..1 axis) and the machine's percentages
// (a few samples between 3 and 4 % would fill the panel, noise looking like swings).

/** [min, max] of the finite values of `arrays` (numbers), or null when none is finite. */
export function finiteExtent(arrays) {
  let lo = Infinity;
  let hi = -Infinity;
  for (const values of arrays) {
    for (const v of values) {
      if (!Number.isFinite(v)) continue;
      if (v < lo) lo = v;
      if (v > hi) hi = v;
    }
  }
  return lo <= hi ? [lo, hi] : null;
}

/** Whether `key` is a percentage the SDK samples from the machine (system/cpu_percent...). */
export const isSystemPercent = (key) => key.startsWith("system/") && key.endsWith("_percent");

/** The plotly y-axis range of panel `key` whose values span `extent` ([min, max] or null);
 * `log`: a log axis (its range in powers of ten). null: plotly's automatic range. */
export function yRange(key, extent, log) {
  if (!extent) return null;
  const [lo, hi] = extent;
  // One process may use several cores: 250 % stays on the axis.
  if (isSystemPercent(key) && !log && lo >= 0) return [0, Math.max(100, hi * 1.05)];
  if (lo !== hi) return null;
  if (log) return lo > 0 ? [Math.log10(lo) - 0.5, Math.log10(lo) + 0.5] : null;
  const pad = lo === 0 ? 1 : Math.abs(lo) * 0.1;
  return [lo - pad, lo + pad];
}
