// The client of the public HTTP API (/api/v1): every page reads and writes through it.

import { decodeSeriesBatch } from "./series.js";

const BASE = "/api/v1";
const BATCH_TYPE = "application/x-tracklog-series-batch";

/** A failed request: `code` is the server's error code, or SERVER_DOWN when none answered. */
export class ApiError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

async function request(method, path, { body, accept = "application/json" } = {}) {
  const init = { method, headers: { Accept: accept } };
  if (body !== undefined) {
    init.headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  let resp;
  try {
    resp = await fetch(BASE + path, init);
  } catch {
    throw new ApiError(0, "SERVER_DOWN",
      "The tracklog server does not answer. Is it still running?");
  }
  if (!resp.ok) {
    let info = {};
    try { info = await resp.json(); } catch { /* not JSON: keep the status line */ }
    throw new ApiError(resp.status, info.error ?? `HTTP_${resp.status}`,
      info.message ?? `${resp.status} ${resp.statusText}`);
  }
  return resp;
}

async function json(method, path, body) {
  const resp = await request(method, path, { body });
  return resp.status === 204 ? null : resp.json();
}

const runPath = (id) => `/runs/${encodeURIComponent(id)}`;
const sweepPath = (id) => `/sweeps/${encodeURIComponent(id)}`;
const filePath = (id, path) =>
  `${runPath(id)}/artifacts/${path.split("/").map(encodeURIComponent).join("/")}`;

export const api = {
  projects: () => json("GET", "/projects"),
  /** The config, summary-metric and tag keys of every run of a project: {params, metrics, tags}. */
  projectKeys: (project, lifecycle) => json("GET",
    `/projects/${encodeURIComponent(project)}/keys?lifecycle=${lifecycle}`),
  /** One page of a search: {runs, total, offset}. */
  page: (query) => json("POST", "/runs/page", query),
  search: (query) => json("POST", "/runs/search", query),
  run: (id) => json("GET", runPath(id)),
  updateRun: (id, changes) => json("PATCH", runPath(id), changes),
  setTags: (id, tags) => json("POST", `${runPath(id)}/tags`, { tags }),
  deleteTag: (id, key) => json("DELETE", `${runPath(id)}/tags/${encodeURIComponent(key)}`),
  deleteRun: (id) => json("DELETE", runPath(id)),
  restoreRun: (id) => json("POST", `${runPath(id)}/restore`),
  /** The series statistics of each run of `ids`: {series: {id: [stats]}}. */
  seriesStats: (ids) => json("POST", "/series/stats", { runs: ids }),
  /** One series (`key` in `context`, a JSON text) of each run of `ids` in one request: a Map
   * from run id to typed arrays, without the runs that lack the series. */
  async seriesBatch(ids, key, context, { samples, minStep, maxStep } = {}) {
    const body = { runs: ids, keys: [{ key, context: context ? JSON.parse(context) : null }],
      samples: samples ?? null,
      min_step: minStep === undefined ? null : Math.floor(minStep),
      max_step: maxStep === undefined ? null : Math.ceil(maxStep) };
    const resp = await request("POST", "/series/batch", { body, accept: BATCH_TYPE });
    const series = decodeSeriesBatch(await resp.arrayBuffer());
    return new Map(ids.map((id, i) => [id, series[i]]).filter(([, s]) => s));
  },
  /** Server-sent events of the runs `ids` while they run: "run" ({run, series}) on each
   * change, "done" when none runs any more. */
  runEvents: (ids) => new EventSource(`${BASE}/events?runs=${ids.map(encodeURIComponent)}`),
  /** Server-sent events of a project: "project" ({runs, running}) when runs come, go, start
   * or stop; "run" ({run, series}) on each change of a running run. */
  projectEvents: (project) =>
    new EventSource(`${BASE}/events?project=${encodeURIComponent(project)}`),
  /** Each media and histogram key of a run: [{key, context, kind, count, last_step}]. */
  mediaKeys: async (id) => (await json("GET", `${runPath(id)}/media-keys`)).keys,
  /** A run's media records of `key`: [{key, context, step, kind, path, size, meta}]. */
  media: async (id, key) =>
    (await json("GET", `${runPath(id)}/media?key=${encodeURIComponent(key)}`)).media,
  /** A run's histograms of `key`: [{context, step, edges, counts}]. */
  histograms: async (id, key) =>
    (await json("GET", `${runPath(id)}/histograms?key=${encodeURIComponent(key)}`)).histograms,
  /** One page of a logged table or plot of a run (`context` as stored: "" for none):
   * {columns, rows, row_ids, total, offset, cells, meta, step, kind}. `orderBy` is a list of
   * "`column` ASC|DESC" clauses; `filter` the table filter grammar. */
  table(id, key, { step, context = "", orderBy = [], filter = "", offset = 0, limit = 50 } = {}) {
    const query = new URLSearchParams({ context: context || "{}", offset, limit });
    if (step !== undefined) query.set("step", step);
    for (const clause of orderBy) query.append("order_by", clause);
    if (filter) query.set("filter", filter);
    const name = key.split("/").map(encodeURIComponent).join("/");
    return json("GET", `${runPath(id)}/tables/${name}?${query}`);
  },
  /** A run's alerts (W&B's run.alert), in the order raised: [{id, title, text, level,
   * time_ms}]. */
  alerts: async (id) => (await json("GET", `${runPath(id)}/alerts`)).alerts,
  /** The sweeps of a project, newest first. */
  sweeps: async (project) =>
    (await json("GET", `/sweeps?project=${encodeURIComponent(project)}`)).sweeps,
  sweep: (id) => json("GET", sweepPath(id)),
  /** A sweep's trials, by number. */
  trials: async (id) => (await json("GET", `${sweepPath(id)}/trials`)).trials,
  /** "pause", "resume", "stop" or "cancel" a sweep: the sweep as it is now. */
  controlSweep: (id, action) => json("POST", `${sweepPath(id)}/control`, { action }),
  files: (id) => json("GET", `${runPath(id)}/artifacts`),
  fileUrl: (id, path) => BASE + filePath(id, path),
  fileBlob: async (id, path) => (await request("GET", filePath(id, path))).blob(),
  fileText: async (id, path) => (await request("GET", filePath(id, path))).text(),
};
