// The client of the public HTTP API (/api/v1): every page reads and writes through it.

import { decodeSeries } from "./series.js";

const BASE = "/api/v1";
const SERIES_TYPE = "application/x-tracklog-series";

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
  seriesList: (id) => json("GET", `${runPath(id)}/series`),
  /** Points of one series as typed arrays, downsampled to `samples` within [minStep, maxStep]. */
  async series(id, key, context, { samples, minStep, maxStep } = {}) {
    const q = new URLSearchParams();
    if (context && context !== "{}") q.set("context", context);
    if (samples) q.set("samples", String(samples));
    if (minStep !== undefined) q.set("min_step", String(Math.floor(minStep)));
    if (maxStep !== undefined) q.set("max_step", String(Math.ceil(maxStep)));
    const path = `${runPath(id)}/series/${encodeURIComponent(key)}?${q}`;
    const resp = await request("GET", path, { accept: SERIES_TYPE });
    return decodeSeries(await resp.arrayBuffer());
  },
  files: (id) => json("GET", `${runPath(id)}/artifacts`),
  fileUrl: (id, path) => BASE + filePath(id, path),
  fileBlob: async (id, path) => (await request("GET", filePath(id, path))).blob(),
  fileText: async (id, path) => (await request("GET", filePath(id, path))).text(),
};
