// Runs grouped by a config key (Aim's grouping): per group, the mean line and a band (from the
// minimum to the maximum, or one standard deviation either side of the mean), computed on a
// common grid of x values.

import { dig } from "./dom.js";
import { interpolate } from "./series.js";

const GRID = 400;

/** The group label of `run` for config key `key`. */
export function groupOf(run, key) {
  const value = dig(run.config, key);
  return value === undefined ? "(none)" : String(value);
}

/** The sample standard deviation (n - 1) of `v`; 0 for a single value. */
function std(v) {
  if (v.length < 2) return 0;
  const mean = v.reduce((a, b) => a + b, 0) / v.length;
  return Math.sqrt(v.reduce((a, b) => a + (b - mean) ** 2, 0) / (v.length - 1));
}

/**
 * Mean, min, max and standard deviation of each group. `lines`: [{run, x (numbers), y}]
 * already smoothed; answers [{label, count, x, mean, min, max, std}] ordered by label.
 */
export function groupBands(lines, key) {
  const groups = new Map();
  lines.filter((l) => l.x.length).forEach((l) => {
    const label = groupOf(l.run, key);
    if (!groups.has(label)) groups.set(label, []);
    groups.get(label).push(l);
  });
  return [...groups.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([label, members]) => {
    const lo = Math.min(...members.map((m) => m.x[0]));
    const hi = Math.max(...members.map((m) => m.x[m.x.length - 1]));
    const n = hi > lo ? GRID : 1;
    const grid = Array.from({ length: n }, (_, i) => lo + ((hi - lo) * i) / Math.max(1, n - 1));
    const curves = members.map((m) => interpolate(m.x, m.y, grid));
    const stat = (fn) => grid.map((_, i) => {
      const vals = curves.map((c) => c[i]).filter(Number.isFinite);
      return vals.length ? fn(vals) : NaN;
    });
    return {
      label, count: members.length, x: grid,
      mean: stat((v) => v.reduce((a, b) => a + b, 0) / v.length),
      min: stat((v) => Math.min(...v)),
      max: stat((v) => Math.max(...v)),
      std: stat(std),
    };
  });
}
