// What the sweep page computes from a sweep's trials: the metric's goal, the trials in a
// column's order, the best value so far, and a correlation-based parameter importance.

import { flatten } from "./dom.js";

/** The goal of a sweep's config: "maximize" or (W&B's default) "minimize". */
export const goalOf = (config) =>
  (config?.metric?.goal === "maximize" ? "maximize" : "minimize");

/** The metric's name of a sweep's config, or "" when it names none. */
export const metricOf = (config) => config?.metric?.name ?? "";

const hasMetric = (t) => typeof t.metric === "number" && Number.isFinite(t.metric);

/** The trials that ended with a metric (FINISHED; a stopped trial's last value is kept too). */
export const scored = (trials) => trials.filter(hasMetric);

/** The value of column `key` of a trial: "number", "status", "metric", or "params.NAME"
 * (a flattened parameter). */
export function trialValue(trial, key) {
  if (key.startsWith("params.")) return flatten(trial.params)[key.slice(7)];
  return trial[key];
}

/** `trials` ordered by column `key` (descending with `desc`); trials without a value last
 * either way, then by number. */
export function sortTrials(trials, key, desc = false) {
  const missing = (v) => v === undefined || v === null || Number.isNaN(v);
  return [...trials].sort((a, b) => {
    const va = trialValue(a, key);
    const vb = trialValue(b, key);
    if (missing(va) || missing(vb)) {
      return (missing(va) - missing(vb)) || a.number - b.number;
    }
    const order = typeof va === "number" && typeof vb === "number"
      ? va - vb : String(va).localeCompare(String(vb));
    return (desc ? -order : order) || a.number - b.number;
  });
}

/** The best metric after each scored trial, in trial-number order: {numbers, values, best}
 * (`best` the running best toward `goal`). */
export function bestSoFar(trials, goal) {
  const better = goal === "maximize" ? Math.max : Math.min;
  const ordered = scored(trials).sort((a, b) => a.number - b.number);
  let best = null;
  return {
    numbers: ordered.map((t) => t.number),
    values: ordered.map((t) => t.metric),
    best: ordered.map((t) => (best = best === null ? t.metric : better(best, t.metric))),
  };
}

/** The scored trial with the best metric toward `goal` (the first such by number), or null. */
export function bestTrial(trials, goal) {
  const sign = goal === "maximize" ? -1 : 1;
  return scored(trials).reduce((best, t) => (best === null
    || sign * (t.metric - best.metric) < 0
    || (t.metric === best.metric && t.number < best.number) ? t : best), null);
}

function pearson(xs, ys) {
  const n = xs.length;
  const mx = xs.reduce((s, x) => s + x, 0) / n;
  const my = ys.reduce((s, y) => s + y, 0) / n;
  let sxy = 0, sxx = 0, syy = 0;
  for (let i = 0; i < n; i += 1) {
    sxy += (xs[i] - mx) * (ys[i] - my);
    sxx += (xs[i] - mx) ** 2;
    syy += (ys[i] - my) ** 2;
  }
  return sxx === 0 || syy === 0 ? null : sxy / Math.sqrt(sxx * syy);
}

/** The correlation ratio η of a categorical `labels` and numeric `ys`: the share of the
 * metric's spread that lies between the categories' means, as a correlation (0 to 1). */
function correlationRatio(labels, ys) {
  const mean = ys.reduce((s, y) => s + y, 0) / ys.length;
  const groups = new Map();
  labels.forEach((label, i) => groups.set(label, [...(groups.get(label) ?? []), ys[i]]));
  if (groups.size < 2) return null;
  const total = ys.reduce((s, y) => s + (y - mean) ** 2, 0);
  const between = [...groups.values()].reduce((s, g) =>
    s + g.length * (g.reduce((a, y) => a + y, 0) / g.length - mean) ** 2, 0);
  return total === 0 ? null : Math.sqrt(between / total);
}

export const MIN_IMPORTANCE_TRIALS = 3;

/** Each varying parameter's importance for the metric over the scored trials, highest first:
 * {param, importance, correlation}. Numeric parameters: |Pearson r| (`correlation` keeps its
 * sign: positive when larger values give a larger metric); others (text, true/false, lists):
 * the correlation ratio η over their values. A measure of association, not of cause: two
 * parameters varied together share it. Empty below MIN_IMPORTANCE_TRIALS scored trials. */
export function importance(trials) {
  const done = scored(trials);
  if (done.length < MIN_IMPORTANCE_TRIALS) return [];
  const flat = done.map((t) => flatten(t.params));
  const keys = [...new Set(flat.flatMap(Object.keys))].sort();
  const rows = keys.flatMap((param) => {
    const present = flat.map((f, i) => [f[param], done[i].metric]).filter(([v]) => v !== undefined);
    const values = present.map(([v]) => v);
    const ys = present.map(([, y]) => y);
    if (present.length < MIN_IMPORTANCE_TRIALS) return [];
    if (values.every((v) => typeof v === "number")) {
      const r = pearson(values, ys);
      return r === null ? [] : [{ param, importance: Math.abs(r), correlation: r }];
    }
    const eta = correlationRatio(values.map((v) => JSON.stringify(v)), ys);
    return eta === null ? [] : [{ param, importance: eta, correlation: null }];
  });
  return rows.sort((a, b) => b.importance - a.importance || a.param.localeCompare(b.param));
}

/** How many trials are in each status: [[status, count]], in the order statuses first show. */
export function statusCounts(trials) {
  const counts = new Map();
  for (const t of trials) counts.set(t.status, (counts.get(t.status) ?? 0) + 1);
  return [...counts];
}
