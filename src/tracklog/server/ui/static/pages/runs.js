// Runs table of one project: sort, filter (the API's grammar), quick search, extra columns
// (by default the summary metrics and the config keys that vary; the user's choice kept
// per project), selection and bulk actions, server-side paging; all of it kept in the URL.
// It follows the project live through server-sent events, and polls only where the server
// refuses them.

import { api } from "../api.js";
import { ATTRIBUTE_KEYS, attachAutocomplete } from "../autocomplete.js";
import { defaultColumns, isNumeric, storeColumns, storedColumns } from "../columns.js";
import {
  containsPattern, dig, fill, filterKey, fmtDuration, fmtTime, fmtValue, h, lazyCard,
  statusBadge,
} from "../dom.js";
import { link, listParam, pageParam, route, setParams } from "../state.js";
import { RunTable } from "../table.js";
import { sweepsList } from "./sweep.js";

const PAGE_SIZE = 50;
const POLL_MS = 5000; // only without the event stream
const RELOAD_MS = 250; // a burst of changes (a sweep starting runs) reloads the page once
const DEFAULT_SORT = "attributes.start_time DESC";

const TICK_MS = 1000; // how often a running run's duration is redrawn (no request)
const TRASHED = "This project is in the trash: restore it to log to it again.";

// Said on the page of a project's new name after the table followed a rename.
let renamedNote = "";
const duration = (r) => fmtDuration((r.end_time ?? Date.now()) - r.start_time);

const BASE_COLUMNS = [
  { id: "name", label: "name", sortKey: "attributes.run_name",
    cell: (r) => h("a", { href: link(`/runs/${encodeURIComponent(r.id)}`) }, r.name) },
  { id: "status", label: "status", sortKey: "attributes.status", cell: statusBadge },
  { id: "user", label: "user", sortKey: "attributes.user", cell: (r) => r.user ?? "" },
  { id: "start", label: "start", sortKey: "attributes.start_time",
    cell: (r) => fmtTime(r.start_time) },
  { id: "duration", label: "duration", sortKey: "attributes.duration", numeric: true,
    cell: duration },
  { id: "tags", label: "tags", cell: (r) => [
    ...r.labels.map((l) => h("span", { class: "chip" }, l)),
    ...Object.entries(r.tags).map(([k, v]) => h("span", { class: "chip" }, `${k}=${v}`))] },
];

/** Attributes offered as extra columns (the run's field of the same name). */
const ATTRIBUTE_COLUMNS = ["attributes.end_time"];

/** "params.optimizer.lr" -> the column that shows and sorts by that config key. */
function extraColumn(spec, onRemove) {
  const [kind, ...rest] = spec.split(".");
  const key = rest.join(".");
  const value = { metrics: (r) => r.summary[key], tags: (r) => r.tags[key],
    attributes: (r) => fmtTime(r[key]) }[kind] ?? ((r) => dig(r.config, key));
  return {
    id: spec,
    label: h("span", {}, spec, h("button", { type: "button", class: "remove",
      title: `remove column ${spec}`, onclick: (e) => { e.stopPropagation(); onRemove(spec); } },
    "×")),
    sortKey: filterKey(kind, key),
    numeric: (rows) => isNumeric(rows.map(value)),
    cell: (r) => fmtValue(value(r)),
  };
}

/** {params: ["lr"], metrics: ["acc"], tags: []} -> ["params.lr", "metrics.acc"]. */
const prefixedKeys = (keys) =>
  ["params", "metrics", "tags"].flatMap((kind) => keys[kind].map((k) => `${kind}.${k}`));

/** The filter sent to the server: the typed filter and the quick search (names containing
 * it, whatever characters it holds), joined by AND. */
export function effectiveFilter(filter, quick) {
  const parts = [filter.trim(), quick ? `attributes.run_name ILIKE ${containsPattern(quick)}` : ""];
  return parts.filter(Boolean).join(" AND ");
}

function parseSort(clause) {
  const m = clause.match(/^(.*?)\s+(ASC|DESC)$/i);
  return m ? { key: m[1], desc: m[2].toUpperCase() === "DESC" } : { key: clause, desc: false };
}

/** The project `id` as listed now: null if it is gone, undefined if that cannot be known. */
async function whereIs(id) {
  if (id === null) return undefined;
  try {
    const { projects } = await api.projects();
    return projects.find((p) => p.id === id) ?? null;
  } catch {
    return undefined;
  }
}

export async function render(main, params, project) {
  const state = {
    q: params.get("q") ?? "",
    filter: params.get("filter") ?? "",
    sort: params.get("sort") ?? DEFAULT_SORT,
    // The URL's columns, else those chosen in this browser, else (null) the project's default.
    cols: params.has("cols") ? listParam(params, "cols") : storedColumns(project),
    page: pageParam(params),
    trash: params.get("trash") === "1",
    group: params.get("group") ?? "",
  };
  let total = 0;
  let timer = null; // the next poll, or the next reload after a change
  let events = null; // the project's event stream
  let projectState = null; // the last "project" event's data
  let projectId = null; // from the events: a renamed project is found by it
  // The whole project's keys (not just this page's), for the pickers and filter completion.
  let keys = { params: [], metrics: [], tags: [] };

  const filterError = h("pre", { id: "filter-error", class: "filter-error", hidden: true });
  const status = h("div", { class: "muted", id: "table-status", role: "status" });
  const empty = h("p", { class: "muted", id: "empty-state" });
  const pager = h("div", { class: "pager" });
  const selectionBar = h("div", { class: "toolbar selection" });
  const columnPicker = h("select", { id: "add-column", "aria-label": "add a column" });
  const groupPicker = h("select", { id: "group-rows", "aria-label": "group rows by" });
  const table = new RunTable([], {
    onSort: (key) => {
      const now = parseSort(state.sort);
      state.sort = `${key} ${now.key === key && !now.desc ? "DESC" : "ASC"}`;
      save();
      load();
    },
    onSelect: () => drawSelection(),
    onOpen: (r) => { location.hash = link(`/runs/${encodeURIComponent(r.id)}`); },
  });
  table.setSelection(listParam(params, "sel"));

  const quick = h("input", { id: "quick-search", type: "search", placeholder: "Search by name",
    value: state.q, "aria-label": "search runs by name" });
  const filterInput = h("input", { id: "filter", class: "filter", value: state.filter,
    placeholder: "Filter, e.g. metrics.acc > 0.9 AND params.lr < 1e-3",
    "aria-label": "filter", spellcheck: "false" });
  const trash = h("input", { id: "show-trash", type: "checkbox", checked: state.trash });

  let debounce = null;
  let loads = 0; // numbers each load(), so that only the latest one draws
  quick.addEventListener("input", () => {
    clearTimeout(debounce);
    debounce = setTimeout(() => { state.q = quick.value; state.page = 0; save(); load(); }, 250);
  });
  const applyFilter = () => { state.filter = filterInput.value; state.page = 0; save(); load(); };
  filterInput.addEventListener("keydown", (e) => { if (e.key === "Enter") applyFilter(); });
  trash.addEventListener("change", () => {
    state.trash = trash.checked; state.page = 0; save(); load();
    loadKeys().catch((err) => { status.textContent = `Keys not loaded: ${err.message}`; });
  });
  groupPicker.addEventListener("change", () => {
    state.group = groupPicker.value; state.page = 0; save(); load();
  });
  columnPicker.addEventListener("change", () => {
    if (columnPicker.value) chooseColumns([...shownColumns(), columnPicker.value]);
  });

  /** The extra columns shown: the user's choice, else the project's default. */
  const shownColumns = () => state.cols ?? defaultColumns(keys);

  function chooseColumns(cols) {
    state.cols = cols;
    storeColumns(project, cols);
    save();
    drawRows(table.rows);
  }

  function save() {
    setParams({ q: state.q, filter: state.filter, page: state.page || "",
      sort: state.sort === DEFAULT_SORT ? "" : state.sort, cols: state.cols?.join(","),
      trash: state.trash ? "1" : "", sel: [...table.selected].join(","), group: state.group });
  }

  function columns() {
    const remove = (spec) => chooseColumns(shownColumns().filter((c) => c !== spec));
    return [...BASE_COLUMNS, ...shownColumns().map((c) => extraColumn(c, remove))];
  }

  function drawRows(rows) {
    table.columns = columns();
    table.render(rows, parseSort(state.sort),
      state.group ? (r) => `${state.group} = ${fmtValue(dig(r.config, state.group)) || "(none)"}`
        : null);
    drawPickers();
  }

  function drawPickers() {
    fill(columnPicker, h("option", { value: "" }, "+ column"),
      [...ATTRIBUTE_COLUMNS, ...prefixedKeys(keys)].filter((k) => !shownColumns().includes(k))
        .map((k) => h("option", { value: k }, k)));
    const configKeys = [...keys.params];
    if (state.group && !configKeys.includes(state.group)) configKeys.push(state.group);
    fill(groupPicker, h("option", { value: "" }, "no grouping"),
      configKeys.sort().map((k) => h("option", { value: k, selected: k === state.group },
        `group by ${k}`)));
  }

  async function loadKeys() {
    keys = await api.projectKeys(project, state.trash ? "all" : "active");
    if (state.cols === null) drawRows(table.rows); // the default columns follow the keys
    else drawPickers();
  }

  function drawSelection() {
    save();
    const ids = [...table.selected];
    const filter = effectiveFilter(state.filter, state.q);
    const chartsHref = ids.length
      ? link("/charts", { project, runs: ids.join(",") })
      : link("/charts", { project, filter });
    const tagInput = h("input", { id: "tag-input", placeholder: "key=value",
      "aria-label": "tag to set on the selected runs" });
    const none = ids.length === 0;
    fill(selectionBar,
      h("span", { id: "selected-count" }, `${ids.length} selected`),
      h("a", { class: "button", id: "open-charts", href: chartsHref },
        none ? "Charts (first 20)" : "Charts"),
      h("a", { class: "button", id: "open-compare", href: none ? null :
        link("/compare", { project, runs: ids.join(","), filter }), "aria-disabled": none },
      "Compare"),
      h("button", { type: "button", id: "bulk-delete", disabled: none,
        onclick: () => bulk(ids, api.deleteRun, "moved to the trash") }, "Delete"),
      h("button", { type: "button", id: "bulk-restore", disabled: none,
        onclick: () => bulk(ids, api.restoreRun, "restored") }, "Restore"),
      tagInput,
      h("button", { type: "button", id: "bulk-tag", disabled: none, onclick: () => {
        const [key, ...value] = tagInput.value.split("=");
        if (!key.trim()) { status.textContent = "Type a tag as key=value first."; return; }
        bulk(ids, (id) => api.setTags(id, { [key.trim()]: value.join("=").trim() }), "tagged");
      } }, "Tag"));
  }

  async function bulk(ids, action, done) {
    try {
      for (const id of ids) await action(id); // one at a time: a failure names its run
      status.textContent = `${ids.length} run${ids.length === 1 ? "" : "s"} ${done}.`;
    } catch (err) {
      status.textContent = `Stopped: ${err.message}`;
    }
    await load();
  }

  async function load() {
    clearTimeout(timer);
    const mine = ++loads;
    const filter = effectiveFilter(state.filter, state.q);
    let answer;
    try {
      answer = await api.page({ projects: [project], filter: filter || null,
        // Grouped, the group key sorts first so each group's rows sit together.
        order_by: state.group ? [filterKey("params", state.group), state.sort] : [state.sort],
        offset: state.page * PAGE_SIZE, limit: PAGE_SIZE,
        lifecycle: state.trash ? "all" : "active" });
    } catch (err) {
      if (mine !== loads) return;
      if (err.code !== "INVALID_VALUE") throw err;
      filterError.textContent = err.message;
      filterError.hidden = false;
      filterInput.setAttribute("aria-invalid", "true");
      drawRows([]);
      empty.textContent = "";
      fill(pager);
      return;
    }
    // A later load (another sort, filter or page) was asked for meanwhile: its answer wins,
    // whichever of the two the server finishes first.
    if (mine !== loads) return;
    filterError.hidden = true;
    filterInput.removeAttribute("aria-invalid");
    total = answer.total;
    drawRows(answer.runs);
    drawPager(answer.offset, answer.runs.length);
    empty.textContent = answer.runs.length ? "" : (filter ? "No run matches this filter."
      : "No runs here yet (or all of them are in the trash).");
    if (!events && answer.runs.some((r) => r.status === "RUNNING")) {
      reloadIn(POLL_MS); // live status and duration
    }
  }

  function reloadIn(ms) {
    clearTimeout(timer);
    timer = setTimeout(() => load().catch((err) => {
      status.textContent = `Live update stopped: ${err.message}`;
    }), ms);
  }

  /** Follow the project: reload the page when runs come, go, start or stop (their order and
   * the filter's matches may change); redraw a shown running run's row as it logs. */
  function follow() {
    events = api.projectEvents(project);
    events.addEventListener("project", (e) => {
      // A reconnected stream states the project again: reload only if it changed meanwhile.
      if (projectState !== null && projectState !== e.data) {
        reloadIn(RELOAD_MS);
        // Runs that came or ended may bring keys: the pickers and default columns follow.
        loadKeys().catch((err) => { status.textContent = `Keys not loaded: ${err.message}`; });
      }
      projectState = e.data;
      const data = JSON.parse(e.data);
      projectId = data.id;
      if (data.lifecycle_stage === "deleted") status.textContent = TRASHED;
      else if (status.textContent === TRASHED) status.textContent = "";
    });
    // The project no longer has this name: the stream says where it went.
    events.addEventListener("done", (e) => {
      events.close();
      events = null;
      moved(JSON.parse(e.data).project);
    });
    events.addEventListener("run", (e) => {
      const { run } = JSON.parse(e.data);
      const at = table.rows.findIndex((r) => r.id === run.id);
      if (at >= 0) drawRows(table.rows.map((r, i) => (i === at ? run : r)));
    });
    events.addEventListener("error", async () => {
      if (events?.readyState !== EventSource.CLOSED) return; // a dropped stream reconnects
      events = null;
      // Refused on reconnecting: renamed between two streams, or refused indeed?
      const now = await whereIs(projectId);
      if (now !== undefined && now?.name !== project) {
        moved(now);
        return;
      }
      status.textContent = "The server refused live updates: the table polls instead.";
      reloadIn(0);
    });
  }

  /** Follow the project to its new name (`now`), or say it is gone (`now` null). */
  function moved(now) {
    clearTimeout(timer);
    if (now) {
      renamedNote = `The project "${project}" was renamed to "${now.name}".`;
      // The view as it is now (filter, sort, columns, selection), under the new name.
      location.replace(link(`/projects/${encodeURIComponent(now.name)}`, route().params));
      return;
    }
    fill(status, `The project "${project}" no longer exists. `,
      h("a", { href: "#/" }, "Back to the projects"));
  }

  function drawPager(offset, count) {
    const go = (page) => { state.page = page; save(); load(); };
    fill(pager,
      h("button", { type: "button", id: "prev-page", disabled: offset === 0,
        onclick: () => go(state.page - 1) }, "‹ prev"),
      h("span", { id: "page-info" },
        count ? `${offset + 1}–${offset + count} of ${total.toLocaleString("en")}` : "0 runs"),
      h("button", { type: "button", id: "next-page", disabled: offset + count >= total,
        onclick: () => go(state.page + 1) }, "next ›"));
  }

  fill(main,
    h("h1", {}, h("a", { href: "#/" }, "Projects"), " / ", project),
    lazyCard("Sweeps", sweepsList(project), "project-sweeps"),
    h("div", { class: "toolbar" }, quick,
      attachAutocomplete(filterInput, () => [...ATTRIBUTE_KEYS, ...prefixedKeys(keys)]),
      h("button", { type: "button", id: "apply-filter", onclick: applyFilter }, "Filter"),
      h("label", {}, trash, " show trash"), columnPicker, groupPicker),
    filterError, selectionBar, status,
    h("div", { class: "table-wrap" }, table.el), empty, pager);
  drawSelection();
  status.textContent = renamedNote;
  renamedNote = "";
  follow();
  // Running runs' durations grow between events (a run may log rarely).
  const ticker = setInterval(() => table.rows.forEach((r) => {
    if (r.status !== "RUNNING") return;
    const cell = table.el.querySelector(
      `tr[data-id="${CSS.escape(r.id)}"] td[data-col=duration]`);
    if (cell) cell.textContent = duration(r);
  }), TICK_MS);
  const stop = () => {
    clearTimeout(timer);
    clearInterval(ticker);
    events?.close();
  };
  try {
    await Promise.all([loadKeys(), load()]);
  } catch (err) {
    stop();
    throw err;
  }
  return stop;
}
