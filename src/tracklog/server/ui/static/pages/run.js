// One run: what it achieved (summary) and its config first, then overview with its captured
// context, tags and notes (editable), metric charts, console output and files.

import { alertsList } from "../alerts.js";
import { api } from "../api.js";
import { filesBrowser } from "../artifacts.js";
import {
  dig, errorNotice, fill, fmtDuration, fmtTime, h, lazyCard, statusBadge,
} from "../dom.js";
import { followRuns } from "../live.js";
import { mediaSection } from "../media.js";
import { requestStats } from "../panels.js";
import { prefetchPlotly } from "../plotly.js";
import { link } from "../state.js";
import { summaryTable } from "../summary.js";
import { searchableTree } from "../tree.js";
import { chartOptions, mountCharts } from "./charts.js";
import { sweepLink } from "./sweep.js";

const LOG_POLL_MS = 2000;

function overview(run) {
  const md = run.metadata ?? {};
  const git = md.git ?? {};
  const python = dig(md, "environment.python");
  const command = dig(md, "environment.command") ?? dig(md, "environment.argv");
  const rows = [
    ["id", run.id],
    ["status", statusBadge(run)],
    ["start", fmtTime(run.start_time)],
    ["end", fmtTime(run.end_time)],
    ["duration", fmtDuration((run.end_time ?? Date.now()) - run.start_time)],
    ["user", run.user],
    ["host", run.host],
    ["group", run.group],
    ["sweep", run.tags.sweep_id ? h("span", { id: "run-sweep" }, sweepLink(run.tags.sweep_id),
      run.tags.sweep_trial ? ` (trial ${run.tags.sweep_trial})` : null) : null],
    ["command", Array.isArray(command) ? h("code", {}, command.join(" ")) : null],
    ["git", git.commit ? `${git.commit.slice(0, 10)} ${git.branch ?? ""}` +
      (git.dirty ? " (dirty)" : "") : null],
    ["python", python ? `${python.version} (${python.implementation})` : null],
    ["packages", typeof md.packages === "object" ? md.packages.count : md.packages],
    ["exit code", run.exit_code],
    ["error", run.error ? h("pre", { class: "error-text" }, run.error) : null],
  ];
  return h("table", { class: "overview" }, h("tbody", {}, rows
    .filter(([, v]) => v !== null && v !== undefined && v !== "")
    .map(([k, v]) => h("tr", {}, h("th", {}, k), h("td", {}, v)))));
}

function tagsEditor(run, reload) {
  const input = h("input", { id: "new-tag", placeholder: "key=value", "aria-label": "new tag" });
  const add = async () => {
    const [key, ...value] = input.value.split("=");
    if (!key.trim()) return;
    await api.setTags(run.id, { [key.trim()]: value.join("=").trim() });
    await reload();
  };
  return h("div", { class: "tags" },
    run.labels.map((l) => h("span", { class: "chip" }, l)),
    Object.entries(run.tags).map(([k, v]) => h("span", { class: "chip", dataset: { tag: k } },
      `${k}=${v}`, h("button", { type: "button", class: "remove", title: `remove tag ${k}`,
        onclick: async () => { await api.deleteTag(run.id, k); await reload(); } }, "×"))),
    input, h("button", { type: "button", id: "add-tag", onclick: add }, "Add tag"));
}

function notesEditor(run) {
  const area = h("textarea", { id: "notes", rows: 3, "aria-label": "notes" }, run.notes ?? "");
  const saved = h("span", { class: "muted", id: "notes-status" });
  const save = async () => {
    await api.updateRun(run.id, { notes: area.value });
    saved.textContent = "saved";
  };
  return h("div", { class: "notes" }, area,
    h("button", { type: "button", id: "save-notes", onclick: save }, "Save notes"), saved);
}

/** The console log, re-read while the run is running. */
function consoleLog(run) {
  const pre = h("pre", { id: "console", class: "console" }, "Loading…");
  let timer = null;
  const read = async () => {
    pre.textContent = (await api.fileText(run.id, "output.log"))
      || (run.status === "RUNNING" ? "(no output yet)" : "(the run printed nothing)");
    pre.scrollTop = pre.scrollHeight;
    if (run.status === "RUNNING") {
      timer = setTimeout(() => read().catch((err) => fill(pre, errorNotice(err))), LOG_POLL_MS);
    }
  };
  read().catch((err) => fill(pre, errorNotice(err)));
  return { el: pre, stop: () => clearTimeout(timer) };
}

const section = (title, ...body) => h("section", { class: "card" }, h("h2", {}, title), ...body);

export async function render(main, params, runId) {
  prefetchPlotly("basic"); // one run's lines: the partial bundle draws them
  const stats = requestStats([runId]);
  const [run, { files }] = await Promise.all([api.run(runId), api.files(runId)]);
  const title = h("h1");
  const head = h("div", { class: "two-col" });
  const drawHead = (r) => {
    fill(title, h("a", { href: link(`/projects/${encodeURIComponent(r.project)}`) }, r.project),
      " / ", r.name, " ", statusBadge(r));
    fill(head, section("Overview", overview(r)),
      section("Tags and notes", tagsEditor(r, reload), notesEditor(r)));
  };
  async function reload() { drawHead(await api.run(runId)); }
  drawHead(run);

  const summary = h("div", { id: "run-summary" }, h("p", { class: "muted" }, "Loading…"));
  const drawSummary = (r, series) => fill(summary, summaryTable(r.summary, series));
  stats.then(({ series }) => drawSummary(run, series[runId] ?? []))
    .catch((err) => fill(summary, errorNotice(err)));

  const charts = h("div");
  const log = files.some((f) => f.path === "output.log") ? consoleLog(run) : null;
  fill(main, title,
    h("div", { class: "two-col" },
      section("Summary", summary),
      section("Config", searchableTree(run.config, "config-search"))),
    head,
    lazyCard("Alerts", alertsList(runId), "run-alerts"),
    section("Metrics", charts),
    lazyCard("Media", mediaSection(runId), "media"),
    section("Captured context", searchableTree(run.metadata, "metadata-search", { open: false })),
    log ? section("Console (output.log)", log.el) : null,
    section("Files", filesBrowser(run.id, files)));
  const panels = await mountCharts(charts, [run], chartOptions(params), stats,
    { systemOpen: true, bundle: "basic" });
  // A running run's summary grows as it logs (the charts' own stream, shared: see live.js).
  const unfollow = run.status === "RUNNING" ? followRuns([runId], {
    run: (data) => drawSummary(data.run, data.series), done: () => {}, refused: () => {},
  }) : null;
  return () => { panels.destroy(); log?.stop(); unfollow?.(); };
}
