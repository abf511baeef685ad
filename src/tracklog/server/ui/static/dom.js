// Building DOM nodes and formatting values for display; shared by every page.

/** An element: h("a", {href: "#/", class: "x", onclick: fn}, "text", childNode, [more]). */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    if (key.startsWith("on")) el.addEventListener(key.slice(2), value);
    else if (key === "dataset") Object.assign(el.dataset, value);
    else if (value === true) el.setAttribute(key, "");
    else el.setAttribute(key, value);
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const child of children) {
    if (child === undefined || child === null || child === false) continue;
    if (Array.isArray(child)) append(el, child);
    else el.append(child instanceof Node ? child : String(child));
  }
}

/** Replace everything inside `el` with `children`. */
export function fill(el, ...children) {
  el.replaceChildren();
  append(el, children);
  return el;
}

/** A message box for empty and error states. */
export function notice(kind, title, ...body) {
  return h("div", { class: `notice notice-${kind}`, role: kind === "error" ? "alert" : "status" },
    h("strong", {}, title), ...body.map((b) => h("div", {}, b)));
}

/** `text` in quotes `q` as the filter grammar reads it: the quote doubled, backslashes
 * escaped. */
const quoted = (text, q) => `${q}${String(text).replaceAll("\\", "\\\\").replaceAll(q, q + q)}${q}`;

/** `text` as a string of the filter grammar. */
export function filterString(text) {
  return quoted(text, "'");
}

/** The filter grammar's name of `key` of `kind` ("params", "metrics", "tags", "attributes"):
 * backquoted, so any key (dots, spaces, backquotes...) names itself. */
export function filterKey(kind, key) {
  return `${kind}.${quoted(key, "`")}`;
}

/** The filter string of a LIKE / ILIKE pattern matching any text that contains `text`: its
 * wildcards (% _) and the pattern's escape character (\) escaped, so each matches itself. */
export function containsPattern(text) {
  return filterString(`%${String(text).replace(/[\\%_]/g, "\\$&")}%`);
}

/** Milliseconds since the epoch as local "YYYY-MM-DD HH:MM:SS". */
export function fmtTime(ms) {
  if (ms === null || ms === undefined) return "";
  const d = new Date(ms);
  const pad = (n) => String(n).padStart(2, "0");
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ` +
    `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}

/** A span of milliseconds as "1h 02m", "3m 04s" or "5.2s", cut (not rounded) like a clock's,
 * so 59.96 s is not "60.0s"; below 0 (a browser clock behind the server's, for a running
 * run) as 0. */
export function fmtDuration(ms) {
  if (ms === null || ms === undefined || Number.isNaN(ms)) return "";
  const tenths = Math.floor(Math.max(0, ms) / 100);
  const s = tenths / 10;
  if (s < 60) return `${s.toFixed(1)}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m ${String(Math.floor(s % 60)).padStart(2, "0")}s`;
  return `${Math.floor(m / 60)}h ${String(m % 60).padStart(2, "0")}m`;
}

/** A config or metric value, short: numbers to `digits` significant digits (integers
 * whole), objects as JSON. */
export function fmtValue(value, digits = 4) {
  if (value === null || value === undefined) return "";
  if (typeof value === "number") {
    return Number.isInteger(value) ? String(value) : String(Number(value.toPrecision(digits)));
  }
  if (typeof value === "object") return JSON.stringify(value);
  return String(value);
}

/** A metric's context (the API's JSON text) for people: `subset=train, fold=2`; "" for none. */
export function contextLabel(context) {
  if (!context || context === "{}") return "";
  return Object.entries(JSON.parse(context)).map(([k, v]) => `${k}=${v}`).join(", ");
}

/** A byte count as "12 B", "3.4 KiB", "5.6 MiB". */
export function fmtBytes(n) {
  const units = ["B", "KiB", "MiB", "GiB"];
  let i = 0;
  // 1023.96 KiB would show as "1024.0 KiB": such a value goes up a unit.
  while (n >= (i === 0 ? 1024 : 1023.95) && i < units.length - 1) { n /= 1024; i += 1; }
  return i === 0 ? `${n} B` : `${n.toFixed(1)} ${units[i]}`;
}

/** The value at a dotted path of a nested object ("optimizer.lr"), or undefined. Own keys
 * only: a key from the URL such as "constructor" must not find the object's prototype. */
export function dig(obj, dotted) {
  if (obj !== null && typeof obj === "object" && Object.hasOwn(obj, dotted)) return obj[dotted];
  let cur = obj;
  for (const part of dotted.split(".")) {
    if (cur === null || typeof cur !== "object" || !Object.hasOwn(cur, part)) return undefined;
    cur = cur[part];
  }
  return cur;
}

/** A nested object flattened to {"a.b": leaf}. */
export function flatten(obj, prefix = "", out = {}) {
  for (const [key, value] of Object.entries(obj ?? {})) {
    const path = prefix ? `${prefix}.${key}` : key;
    if (value !== null && typeof value === "object" && !Array.isArray(value)) {
      flatten(value, path, out);
    } else {
      out[path] = value;
    }
  }
  return out;
}

const ERROR_TITLES = {
  SERVER_DOWN: "Server down",
  NOT_FOUND: "Not found",
  UNAUTHENTICATED: "Sign-in needed",
  PERMISSION_DENIED: "No permission",
  INVALID_VALUE: "Bad request",
};

/** The error state for a failed API call (or any other error). */
export function errorNotice(err) {
  return notice("error", ERROR_TITLES[err.code] ?? "Something went wrong", err.message);
}

/** A run's status, with a pulsing marker while it runs and a note when it is in the trash. */
export function statusBadge(run) {
  const status = run.status.toLowerCase();
  return h("span", { class: `status status-${status}`, title: run.status },
    h("span", { class: "dot", "aria-hidden": "true" }), status,
    run.lifecycle_stage === "deleted" ? " (in trash)" : null);
}

/** A card titled `title`, hidden until `content` (a promise of an element, or of null for
 * nothing to show) settles with one; a failure shows its error in the card. */
export function lazyCard(title, content, id = null) {
  const card = h("section", { class: "card", id, hidden: true }, h("h2", {}, title));
  content.then((el) => { if (el) { card.append(el); card.hidden = false; } })
    .catch((err) => { card.append(errorNotice(err)); card.hidden = false; });
  return card;
}
