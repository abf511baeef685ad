// A logged table, sorted, filtered and paged on the server: a page of rows at a time, media
// cells as thumbnails (images) or players (audio), other media as links to their files.

import { api } from "./api.js";
import { errorNotice, fill, fmtValue, h } from "./dom.js";

const PAGE_ROWS = 50;
const MEDIA_KINDS = new Set(["image", "audio", "video", "html", "text"]);

/** The order-by clause of a column: its name in backquotes (any name), then the direction. */
export const orderClause = (column, desc) => `\`${column}\` ${desc ? "DESC" : "ASC"}`;

/** The next sort of a column header clicked: ascending, then descending, then none. */
export function nextSort(sort, column) {
  if (sort?.column !== column) return { column, desc: false };
  return sort.desc ? null : { column, desc: true };
}

function mediaCell(runId, kind, value, meta) {
  if (value === null || value === undefined) return "";
  const url = api.fileUrl(runId, `media/${value}`);
  const caption = meta?.caption ?? "";
  if (kind === "image") {
    return h("a", { href: url, target: "_blank", rel: "noopener" },
      h("img", { class: "thumb", src: url, alt: caption, title: caption, loading: "lazy" }));
  }
  if (kind === "audio") return h("audio", { controls: true, preload: "none", src: url });
  return h("a", { href: url, target: "_blank", rel: "noopener", title: caption }, kind);
}

/** The viewer of the table logged as `item` ({key, step, context}) by run `runId`. */
export function tableViewer(runId, item) {
  let sort = null;
  let filter = "";
  let offset = 0;
  const input = h("input", { class: "filter table-filter", "aria-label": "table filter",
    placeholder: "filter, e.g. score > 0.5 and label = 'cat' (Enter)" });
  const problem = h("div");
  const info = h("span", { class: "muted table-info" });
  const prev = h("button", { type: "button", class: "table-prev" }, "‹ prev");
  const next = h("button", { type: "button", class: "table-next" }, "next ›");
  const body = h("div", { class: "table-wrap" }, h("p", { class: "muted" }, "Loading…"));

  const draw = (page) => {
    const header = page.columns.map((c) => {
      const mark = sort?.column === c.name ? (sort.desc ? " ▼" : " ▲") : "";
      return h("th", { class: "sortable", dataset: { col: c.name }, title: c.type },
        h("button", { type: "button", onclick: () => { sort = nextSort(sort, c.name); offset = 0;
          load(); } }, c.name + mark));
    });
    const rows = page.rows.map((row, r) => h("tr", { dataset: { row: page.row_ids[r] } },
      row.map((value, j) => {
        const { name, type } = page.columns[j];
        const meta = page.cells[name]?.[String(page.row_ids[r])];
        return MEDIA_KINDS.has(type)
          ? h("td", { class: "media" }, mediaCell(runId, type, value, meta))
          // Numbers to 6 digits; the wire's "NaN" and "±Infinity" strings as written.
          : h("td", { class: typeof value === "number" ? "num" : null }, fmtValue(value, 6));
      })));
    fill(body, h("table", { class: "logged-table" }, h("thead", {}, h("tr", {}, header)),
      h("tbody", {}, rows)));
    const last = page.offset + page.rows.length;
    info.textContent = page.total
      ? `${page.offset + 1}–${last} of ${page.total.toLocaleString("en")} rows`
      : "No rows match.";
    prev.disabled = page.offset === 0;
    next.disabled = last >= page.total;
  };
  async function load() {
    try {
      const page = await api.table(runId, item.key, { step: item.step, context: item.context,
        orderBy: sort ? [orderClause(sort.column, sort.desc)] : [], filter, offset,
        limit: PAGE_ROWS });
      fill(problem);
      input.removeAttribute("aria-invalid");
      draw(page);
    } catch (err) {
      if (err.status !== 400) { fill(body, errorNotice(err)); return; }
      input.setAttribute("aria-invalid", "true");
      fill(problem, h("pre", { class: "filter-error" }, err.message));
    }
  }
  input.addEventListener("keydown", (ev) => {
    if (ev.key !== "Enter") return;
    filter = input.value.trim();
    offset = 0;
    load();
  });
  prev.addEventListener("click", () => { offset = Math.max(0, offset - PAGE_ROWS); load(); });
  next.addEventListener("click", () => { offset += PAGE_ROWS; load(); });
  load();
  return h("div", { class: "table-viewer" },
    h("div", { class: "toolbar" }, input, prev, next, info), problem, body);
}
