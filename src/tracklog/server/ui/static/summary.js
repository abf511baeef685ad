// What a run achieved: its summary values (as the API derives them, honouring define_metric)
// beside each metric's last, min and max, from the run's series statistics.

import { contextLabel, fmtValue, h } from "./dom.js";

const SYSTEM = "system/";

/**
 * The rows of a run's summary table: one per summary key (its value, and where a series
 * backs it that series' last, min, max and point count), then one per series logged in a
 * context (train/val...), which the summary leaves out. The machine's own series are left
 * out (the system metrics charts show them).
 * `summary`: {key: value}; `stats`: the API's series statistics of the run.
 */
export function summaryRows(summary, stats) {
  const plain = new Map(stats.filter((s) => !contextLabel(s.context)).map((s) => [s.key, s]));
  const rows = Object.keys(summary ?? {}).sort().map((key) => {
    const s = plain.get(key);
    return { key, context: "", value: summary[key], last: s?.last, min: s?.min, max: s?.max,
      count: s?.count };
  });
  const inContext = stats.filter((s) => contextLabel(s.context))
    .sort((a, b) => a.key.localeCompare(b.key) || a.context.localeCompare(b.context))
    .map((s) => ({ key: s.key, context: contextLabel(s.context), value: undefined, last: s.last,
      min: s.min, max: s.max, count: s.count }));
  return [...rows, ...inContext].filter((r) => !r.key.startsWith(SYSTEM));
}

const num = (value) => h("td", { class: "num" }, fmtValue(value));

/** The summary table of a run (`summary`, `stats` as summaryRows takes them). */
export function summaryTable(summary, stats) {
  const rows = summaryRows(summary, stats);
  if (!rows.length) {
    return h("p", { class: "muted", id: "summary-empty" },
      "No summary yet: it holds each metric's value once the run logs one.");
  }
  return h("div", { class: "table-wrap" }, h("table", { class: "summary", id: "summary" },
    h("thead", {}, h("tr", {}, h("th", {}, "metric"),
      ["summary", "last", "min", "max", "points"].map((t) => h("th", { class: "num" }, t)))),
    h("tbody", {}, rows.map((r) => h("tr", { dataset: { key: r.key, context: r.context } },
      h("th", {}, r.key, r.context ? h("span", { class: "context" }, ` ${r.context}`) : null),
      h("td", { class: "num value" }, fmtValue(r.value)), num(r.last), num(r.min), num(r.max),
      num(r.count))))));
}
