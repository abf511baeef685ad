// A run's files: a list with sizes and downloads, and a preview of the chosen file (images,
// text, YAML, JSON pretty-printed, Markdown rendered, CSV as a table).

import { api } from "./api.js";
import { errorNotice, fill, fmtBytes, h } from "./dom.js";
import { renderMarkdown } from "./markdown.js";

const IMAGE_TYPES = { png: "image/png", jpg: "image/jpeg", jpeg: "image/jpeg", gif: "image/gif",
  webp: "image/webp", svg: "image/svg+xml", bmp: "image/bmp" };
const TEXT = new Set(["txt", "log", "md", "markdown", "yaml", "yml", "json", "py", "toml", "cfg",
  "ini", "sh", "patch", "diff", "csv", "tsv", "html", "xml", "jsonl"]);
const TEXT_LIMIT = 2 * 1024 * 1024;
const CSV_ROWS = 500;

const extension = (path) => (path.includes(".") ? path.split(".").pop().toLowerCase() : "");

/** Split CSV text into rows of cells, honouring double-quoted cells. */
export function parseCsv(text, sep = ",") {
  const rows = [];
  let row = [];
  let cell = "";
  let quoted = false;
  for (let i = 0; i < text.length; i += 1) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') { cell += '"'; i += 1; }
      else if (c === '"') quoted = false;
      else cell += c;
    } else if (c === '"') quoted = true;
    else if (c === sep) { row.push(cell); cell = ""; }
    else if (c === "\n" || c === "\r") {
      if (c === "\r" && text[i + 1] === "\n") i += 1;
      row.push(cell); rows.push(row); row = []; cell = "";
      if (rows.length > CSV_ROWS) break;
    } else cell += c;
  }
  if (cell || row.length) { row.push(cell); rows.push(row); }
  return rows;
}

function csvTable(text, sep) {
  const [head = [], ...rows] = parseCsv(text, sep);
  return h("div", { class: "table-wrap" }, h("table", { class: "csv" },
    h("thead", {}, h("tr", {}, head.map((c) => h("th", {}, c)))),
    h("tbody", {}, rows.slice(0, CSV_ROWS).map((r) => h("tr", {}, r.map((c) => h("td", {}, c)))))));
}

async function preview(runId, file) {
  const ext = extension(file.path);
  if (IMAGE_TYPES[ext]) {
    const blob = await api.fileBlob(runId, file.path);
    const url = URL.createObjectURL(new Blob([blob], { type: IMAGE_TYPES[ext] }));
    return h("img", { class: "preview-image", src: url, alt: file.path });
  }
  if (!TEXT.has(ext) && file.path !== "output.log") {
    return h("p", { class: "muted" }, "No preview for this kind of file; download it.");
  }
  if (file.size > TEXT_LIMIT) {
    return h("p", { class: "muted" }, `Too large to preview (${fmtBytes(file.size)}); download it.`);
  }
  const text = await api.fileText(runId, file.path);
  if (ext === "csv" || ext === "tsv") return csvTable(text, ext === "tsv" ? "\t" : ",");
  if (ext === "md" || ext === "markdown") return renderMarkdown(text);
  if (ext === "json") {
    try { return h("pre", { class: "preview-text" }, JSON.stringify(JSON.parse(text), null, 2)); }
    catch { /* not valid JSON: show it as it is */ }
  }
  return h("pre", { class: "preview-text" }, text);
}

/** The files browser of run `runId` with its `files` ([{path, size}]). */
export function filesBrowser(runId, files) {
  if (!files.length) return h("p", { class: "muted" }, "No files logged.");
  const pane = h("div", { class: "preview", id: "preview" },
    h("p", { class: "muted" }, "Choose a file to preview it."));
  const show = async (file) => {
    fill(pane, h("h4", {}, file.path), h("p", { class: "muted" }, "Loading…"));
    try {
      fill(pane, h("h4", {}, file.path), await preview(runId, file));
    } catch (err) {
      fill(pane, h("h4", {}, file.path), errorNotice(err));
    }
  };
  const list = h("table", { class: "files" }, h("tbody", {}, files.map((f) => h("tr", {},
    h("td", {}, h("button", { type: "button", class: "link", dataset: { path: f.path },
      onclick: () => show(f) }, f.path)),
    h("td", { class: "num" }, fmtBytes(f.size)),
    h("td", {}, h("a", { href: api.fileUrl(runId, f.path), download: f.path.split("/").pop() },
      "download"))))));
  return h("div", { class: "files-browser" }, list, pane);
}
