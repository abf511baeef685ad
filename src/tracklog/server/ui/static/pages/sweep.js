// One sweep: status and controls, config, the trials (sortable, each linking its run), the
// best metric so far, parameters against the metric (parallel coordinates) and each
// parameter's importance; re-read while agents may still change it.

import { api } from "../api.js";
import { configDimensions } from "../brushing.js";
import {
  errorNotice, fill, flatten, fmtTime, fmtValue, h, notice, statusBadge,
} from "../dom.js";
import { loadPlotly, prefetchPlotly } from "../plotly.js";
import { link, setParams } from "../state.js";
import {
  bestSoFar, bestTrial, goalOf, importance, metricOf, MIN_IMPORTANCE_TRIALS, scored, sortTrials,
  statusCounts,
} from "../sweep_stats.js";
import { chartColors } from "../theme.js";
import { searchableTree } from "../tree.js";

const POLL_MS = 2000;
const CONTROLS = [["pause", "Pause"], ["resume", "Resume"], ["stop", "Stop"], ["cancel", "Cancel"]];
const LIVE = new Set(["RUNNING", "PAUSED"]);

const section = (title, ...body) => h("section", { class: "card" }, h("h2", {}, title), ...body);
const runLink = (id) => h("a", { href: link(`/runs/${encodeURIComponent(id)}`) }, id);
export const sweepLink = (id, text = id) =>
  h("a", { href: link(`/sweeps/${encodeURIComponent(id)}`) }, text);

function overview(sweep, trials) {
  const metric = metricOf(sweep.config);
  const best = bestTrial(trials, goalOf(sweep.config));
  const rows = [
    ["id", sweep.id],
    ["status", statusBadge(sweep)],
    ["method", sweep.method],
    ["metric", metric ? `${metric} (${goalOf(sweep.config)})` : null],
    ["best", best ? h("span", { id: "sweep-best" }, fmtValue(best.metric), " (trial ",
      best.number, best.run_id ? [", run ", runLink(best.run_id)] : null, ")") : null],
    ["trials", statusCounts(trials).map(([s, n]) => `${n} ${s.toLowerCase()}`).join(", ")
      || "none yet"],
    ["trial limit", sweep.trial_limit],
    ["created", fmtTime(sweep.created_at)],
    ["updated", fmtTime(sweep.updated_at)],
    ["description", sweep.config.description],
  ];
  return h("table", { class: "overview", id: "sweep-overview" }, h("tbody", {}, rows
    .filter(([, v]) => v !== null && v !== undefined && v !== "")
    .map(([k, v]) => h("tr", {}, h("th", {}, k), h("td", {}, v)))));
}

/** The pause / resume / stop / cancel buttons. The server decides (EDIT on the project; an
 * action the sweep's status allows): its refusal shows under them. */
function controls(sweep, onChange) {
  const error = h("div", { id: "sweep-control-error" });
  const act = async (action) => {
    fill(error);
    try {
      onChange(await api.controlSweep(sweep.id, action));
    } catch (err) {
      fill(error, errorNotice(err));
    }
  };
  return h("div", { class: "sweep-controls" },
    h("div", { class: "toolbar" }, CONTROLS.map(([action, label]) =>
      h("button", { type: "button", dataset: { action }, onclick: () => act(action) }, label))),
    error);
}

function trialTable(trials, metric, sort, onSort) {
  const params = [...new Set(trials.flatMap((t) => Object.keys(flatten(t.params))))].sort();
  const columns = [
    ["number", "#"], ["status", "status"], ["metric", metric || "metric"],
    ...params.map((p) => [`params.${p}`, p]),
  ];
  const desc = sort.startsWith("-");
  const key = sort.replace(/^-/, "");
  const head = columns.map(([k, label]) => h("th", { class: "sortable", dataset: { key: k },
    "aria-sort": k === key ? (desc ? "descending" : "ascending") : null },
  h("button", { type: "button", onclick: () => onSort(k === key && !desc ? `-${k}` : k) },
    label, k === key ? (desc ? " ▼" : " ▲") : "")));
  const rows = sortTrials(trials, key, desc).map((t) => {
    const flat = flatten(t.params);
    return h("tr", { dataset: { number: t.number } },
      h("td", {}, t.number), h("td", {}, statusBadge(t)),
      h("td", { dataset: { col: "metric" } }, fmtValue(t.metric)),
      params.map((p) => h("td", {}, fmtValue(flat[p]))),
      h("td", {}, t.run_id ? runLink(t.run_id) : ""),
      h("td", {}, t.attempts),
      h("td", { class: "trial-note" }, t.error ?? t.stop_reason ?? ""));
  });
  return h("div", { class: "table-wrap" }, h("table", { class: "trials", id: "trials" },
    h("thead", {}, h("tr", {}, head, h("th", {}, "run"), h("th", {}, "attempts"),
      h("th", {}, "error / stop reason"))),
    h("tbody", {}, rows.length ? rows : h("tr", {}, h("td", { colspan: columns.length + 3,
      class: "muted" }, "No trial yet: start an agent (tracklog agent ID).")))));
}

const layout = (extra) => {
  const colors = chartColors();
  return { height: 320, margin: { l: 60, r: 30, t: 30, b: 40 }, paper_bgcolor: colors.bg,
    plot_bgcolor: colors.bg, font: { color: colors.fg }, ...extra };
};
const CONFIG = { displaylogo: false, responsive: true };

async function drawBest(el, trials, metric, goal) {
  const { numbers, values, best } = bestSoFar(trials, goal);
  if (!numbers.length) {
    fill(el, notice("empty", "Nothing to plot", "No trial has ended with the metric yet."));
    return;
  }
  const Plotly = await loadPlotly("basic");
  if (el.querySelector(".notice")) fill(el);
  const grid = chartColors().grid;
  Plotly.react(el, [
    { x: numbers, y: values, mode: "markers", name: metric, type: "scatter" },
    { x: numbers, y: best, mode: "lines", name: `best (${goal})`, type: "scatter",
      line: { shape: "hv" } },
  ], layout({ xaxis: { title: { text: "trial" }, gridcolor: grid },
    yaxis: { title: { text: metric }, gridcolor: grid } }), CONFIG);
}

async function drawParallel(el, trials, metric) {
  const done = scored(trials);
  const dims = configDimensions(done.map((t) => ({ config: t.params })));
  if (!dims.length) {
    fill(el, notice("empty", "Nothing to plot",
      "No parameter varies over the trials that ended with the metric."));
    return;
  }
  const Plotly = await loadPlotly("full");
  if (el.querySelector(".notice")) fill(el);
  const values = done.map((t) => t.metric);
  Plotly.react(el, [{ type: "parcoords", dimensions: [...dims, { label: metric, values }],
    line: { color: values, colorscale: "Viridis", showscale: true } }],
  layout({ height: 360, margin: { l: 60, r: 60, t: 40, b: 20 } }), CONFIG);
}

function importanceTable(trials) {
  const rows = importance(trials);
  if (!rows.length) {
    return notice("empty", "Not enough trials",
      `Importance needs ${MIN_IMPORTANCE_TRIALS} trials ended with the metric, and a ` +
      "parameter and metric that vary.");
  }
  return h("table", { class: "importance", id: "importance" },
    h("thead", {}, h("tr", {}, h("th", {}, "parameter"), h("th", {}, "importance"),
      h("th", {}, "correlation"))),
    h("tbody", {}, rows.map((r) => h("tr", { dataset: { param: r.param } },
      h("td", {}, r.param),
      h("td", {}, h("span", { class: "bar", style: `width:${Math.round(r.importance * 100)}%` }),
        " ", r.importance.toFixed(3)),
      h("td", {}, r.correlation === null ? "(categorical)" : r.correlation.toFixed(3))))));
}

export async function render(main, params, sweepId) {
  prefetchPlotly("full");
  let [sweep, trials] = await Promise.all([api.sweep(sweepId), api.trials(sweepId)]);
  const metric = metricOf(sweep.config) || "metric";
  const goal = goalOf(sweep.config);
  let sort = params.get("sort") ?? (goal === "maximize" ? "-metric" : "metric");
  let timer = null;
  let stopped = false;

  const title = h("h1");
  const head = h("div");
  const controlBox = h("div");
  const table = h("div");
  const best = h("div", { id: "best-so-far", class: "chart" });
  const parallel = h("div", { id: "sweep-parcoords", class: "chart" });
  const ranked = h("div");
  const liveNote = h("p", { class: "muted", id: "sweep-live", role: "status" });

  const onSort = (next) => {
    sort = next;
    setParams({ sort });
    fill(table, trialTable(trials, metric, sort, onSort));
  };
  const drawHead = () => {
    fill(title, h("a", { href: link(`/projects/${encodeURIComponent(sweep.project)}`) },
      sweep.project), " / sweep ", sweep.name ?? sweep.id, " ", statusBadge(sweep));
    fill(head, overview(sweep, trials));
    fill(controlBox, controls(sweep, (changed) => { sweep = changed; drawHead(); poll(); }));
  };
  const drawTrials = () => {
    fill(table, trialTable(trials, metric, sort, onSort));
    fill(ranked, importanceTable(trials));
    return Promise.all([
      drawBest(best, trials, metric, goal), drawParallel(parallel, trials, metric),
    ]).catch((err) => fill(parallel, errorNotice(err)));
  };
  const live = () => LIVE.has(sweep.status) || trials.some((t) => t.status === "RUNNING");

  // Re-read while agents may change the sweep; redraw only what changed.
  async function poll() {
    clearTimeout(timer);
    if (stopped || !live()) {
      liveNote.textContent = "";
      return;
    }
    liveNote.textContent = "Live: updated every few seconds while agents run.";
    timer = setTimeout(async () => {
      try {
        const [s, t] = await Promise.all([api.sweep(sweepId), api.trials(sweepId)]);
        if (stopped) return;
        const trialsChanged = JSON.stringify(t) !== JSON.stringify(trials);
        if (trialsChanged || JSON.stringify(s) !== JSON.stringify(sweep)) {
          [sweep, trials] = [s, t];
          drawHead();
          if (trialsChanged) await drawTrials();
        }
      } catch (err) {
        liveNote.replaceChildren(errorNotice(err));
      }
      poll();
    }, POLL_MS);
  }

  drawHead();
  fill(main, title,
    h("div", { class: "two-col" }, section("Overview", head, controlBox),
      section("Config", searchableTree(sweep.config, "sweep-config-search"))),
    liveNote,
    section("Trials", table),
    h("div", { class: "two-col" }, section("Best so far", best),
      section("Parameter importance", ranked,
        h("p", { class: "muted" }, "The metric's correlation with each parameter (|Pearson r|;",
          " the correlation ratio for categories) over the trials that ended with it: an",
          " association, not a cause."))),
    section("Parameters → metric", parallel));
  await drawTrials();
  poll();
  return () => { stopped = true; clearTimeout(timer); };
}

/** The card listing a project's sweeps (null when it has none). */
export async function sweepsList(project) {
  const sweeps = await api.sweeps(project);
  if (!sweeps.length) return null;
  return h("table", { class: "sweeps", id: "sweeps" },
    h("thead", {}, h("tr", {}, ["sweep", "method", "metric", "status", "created"]
      .map((c) => h("th", {}, c)))),
    h("tbody", {}, sweeps.map((s) => h("tr", { dataset: { id: s.id } },
      h("td", {}, sweepLink(s.id, s.name ?? s.id)), h("td", {}, s.method),
      h("td", {}, metricOf(s.config)), h("td", {}, statusBadge(s)),
      h("td", {}, fmtTime(s.created_at))))));
}
