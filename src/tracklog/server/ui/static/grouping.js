// Runs grouped by a config key (Aim's grouping): per group, the mean line and a band (from the
// minimum to the maximum, or one standard deviation either side of the mean), computed on a
// common grid of x values.

import { dig } from "./dom.js";
import { interpolate } from "./series.js";

const GRID = 400;

/** The group label of `run` for config key `key`: text as it is, other values as JSON (so
 * different objects, or ["a,b"] and ["a", "b"], are different groups). */
export function groupOf(run, key) {
  const value = dig(run.config, key);
  if (value === undefined) return "(none)";
  return typeof value === "string" ? value : JSON.stringify(value);
}

/** The points of `line` ({x, y}) with a finite x: a metric x-axis has none (NaN) before
 * its metric's first step or after its last. */
function finiteX(line) {
  const keep = Array.from(line.x, (_, i) => i).filter((i) => Number.isFinite(line.x[i]));
  if (keep.length === line.x.length) return line;
  return { ...line, x: keep.map((i) => line.x[i]), y: keep.map((i) => line.y[i]) };
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
 * Points without a finite x are left out.
 */
export function groupBands(lines, key) {
  const groups = new Map();
  lines.map(finiteX).filter((l) => l.x.length).forEach((l) => {
    const label = groupOf(l.run, key);
    if (!groups.has(label)) groups.set(label, []);
    groups.get(label).push(l);
  });
  // Natural order: width=2 before width=10.
  const order = ([a], [b]) => a.localeCompare(b, undefined, { numeric: true });
  return [...groups.entries()].sort(order).map(([label, members]) => {
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
