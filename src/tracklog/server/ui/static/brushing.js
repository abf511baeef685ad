// Filters of what a plot selects: the compare page's parallel-coordinates axes (config keys
// as numbers or categories), and the runs table filter matching a brush or a selection.

import { filterKey, filterString, flatten } from "./dom.js";

const MAX_CATEGORIES = 12;

/** Parallel-coordinates axes of the config keys: numbers as they are, text keys with a few
 * distinct values as categories; keys every run shares one value of tell nothing and are
 * left out. */
export function configDimensions(runs) {
  const flat = runs.map((r) => flatten(r.config));
  const keys = [...new Set(flat.flatMap(Object.keys))].sort();
  return keys.flatMap((key) => {
    const column = flat.map((f) => f[key]);
    const distinct = [...new Set(column.filter((v) => v !== undefined))];
    if (distinct.length < 2) return [];
    if (distinct.every((v) => typeof v === "number")) {
      return [{ label: key, values: column.map((v) => v ?? NaN) }];
    }
    // Categories are text (or true/false), which a filter names as the store holds it; lists
    // and numbers among text would be written otherwise and match nothing.
    const text = distinct.every((v) => typeof v === "string" || typeof v === "boolean");
    if (!text || distinct.length > MAX_CATEGORIES) return [];
    const names = distinct.map(String).sort();
    const index = (v) => (v === undefined ? NaN : names.indexOf(String(v)));
    return [{ label: key, values: column.map(index), tickvals: names.map((_, i) => i),
      ticktext: names }];
  });
}

/** The filter term `key IN (names...)`. */
const inList = (key, names) => `${key} IN (${names.map(filterString).join(", ")})`;

/** `v` to 6 significant digits as the filter grammar takes it (plotly's brush ends carry
 * float noise), rounded `dir` ("floor" or "ceil"): a bound rounded inwards would leave out a
 * run on the brush's edge. */
function bound(v, dir) {
  if (!Number.isFinite(v) || v === 0) return String(v);
  // Scaled by an exact power of ten (10 ** 5, not 1e-5), so round values stay whole.
  const places = 5 - Math.floor(Math.log10(Math.abs(v)));
  const factor = 10 ** Math.abs(places);
  const whole = Math[dir](places >= 0 ? v * factor : v / factor);
  return String(Number((places >= 0 ? whole / factor : whole * factor).toPrecision(6)));
}

/** The filter matching the brushed ranges (`constraintrange`) of a parallel-coordinates
 * plot's `dimensions`; the one labelled `metric` is the summary metric, the others config
 * keys. Disjoint ranges of one axis give the span from the first to the last (the grammar
 * has no OR). */
export function brushFilter(dimensions, metric) {
  const terms = [];
  dimensions.forEach((dim) => {
    if (!dim.constraintrange?.length) return;
    const ranges = Array.isArray(dim.constraintrange[0]) ? dim.constraintrange
      : [dim.constraintrange];
    const lo = Math.min(...ranges.map((r) => r[0]));
    const hi = Math.max(...ranges.map((r) => r[1]));
    const key = dim.label === metric ? filterKey("metrics", metric)
      : filterKey("params", dim.label);
    if (dim.ticktext) {
      const names = dim.ticktext.filter((_, i) => ranges.some((r) => i >= r[0] && i <= r[1]));
      terms.push(inList(key, names));
    } else {
      terms.push(`${key} >= ${bound(lo, "floor")}`, `${key} <= ${bound(hi, "ceil")}`);
    }
  });
  return terms.join(" AND ");
}

/** The filter matching the runs selected (box or lasso) in the scatter plot of config key
 * `dim` against `metric`: the ranges of their values ("" when none is selected). */
export function selectionFilter(points, dim, metric) {
  if (!points?.length) return "";
  const key = filterKey("params", dim.label);
  const ys = points.map((p) => p.y);
  const terms = [];
  if (dim.ticktext) {
    const names = [...new Set(points.map((p) => dim.ticktext[p.x]))].sort();
    terms.push(inList(key, names));
  } else {
    const xs = points.map((p) => p.x);
    terms.push(`${key} >= ${Math.min(...xs)}`, `${key} <= ${Math.max(...xs)}`);
  }
  const metricKey = filterKey("metrics", metric);
  terms.push(`${metricKey} >= ${Math.min(...ys)}`, `${metricKey} <= ${Math.max(...ys)}`);
  return terms.join(" AND ");
}
