// A run's alerts (W&B's run.alert): title, level, text and time, newest last.

import { api } from "./api.js";
import { fmtTime, h } from "./dom.js";

/** The alerts list of run `runId` (null when it raised none). */
export async function alertsList(runId) {
  const alerts = await api.alerts(runId);
  if (!alerts.length) return null;
  return h("ul", { class: "alerts", id: "alerts" }, alerts.map((a) =>
    h("li", { class: `alert alert-${a.level.toLowerCase()}`, dataset: { level: a.level } },
      h("span", { class: "level" }, a.level), " ",
      h("strong", { class: "title" }, a.title), " ",
      h("time", { class: "muted" }, fmtTime(a.time_ms)),
      a.text ? h("div", { class: "text" }, a.text) : null)));
}
