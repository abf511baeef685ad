// Page state in the URL's hash ("#/projects/NAME?filter=...&sort=..."), so a link reproduces
// the view. Changing a value replaces the history entry without re-rendering the page.

/** The route of a location hash ("#/path?query"): {path, params}. Only the first "?" starts
 * the query: one typed into a value by hand stays part of that value. */
export function parseHash(hash) {
  const text = hash.replace(/^#/, "");
  const at = text.indexOf("?");
  const path = at < 0 ? text : text.slice(0, at);
  return { path: path || "/", params: new URLSearchParams(at < 0 ? "" : text.slice(at + 1)) };
}

/** The current route: {path, params}. */
export function route() {
  return parseHash(location.hash);
}

/** A hash link to `path` with `params` (an object or URLSearchParams; empty values dropped). */
export function link(path, params = {}) {
  const entries = params instanceof URLSearchParams ? [...params] : Object.entries(params);
  const kept = entries.filter(([, v]) => v !== undefined && v !== null && v !== "");
  const query = new URLSearchParams(kept).toString();
  return `#${path}${query ? `?${query}` : ""}`;
}

/** Set (or with "" / null, remove) parameters of the current URL, without a navigation. */
export function setParams(changes) {
  const { path, params } = route();
  for (const [key, value] of Object.entries(changes)) {
    if (value === undefined || value === null || value === "") params.delete(key);
    else params.set(key, String(value));
  }
  history.replaceState(null, "", link(path, params));
}

/** A comma-separated list parameter as an array. */
export function listParam(params, key) {
  const raw = params.get(key);
  return raw ? raw.split(",").filter(Boolean) : [];
}

/** A page number parameter: a whole number from 0, else 0 (a hand-edited "page=-1" or
 * "page=x" would ask the server for a negative or missing offset). */
export function pageParam(params, key = "page") {
  const n = Number(params.get(key) ?? 0);
  return Number.isSafeInteger(n) && n >= 0 ? n : 0;
}
