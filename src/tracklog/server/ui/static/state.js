// Page state in the URL's hash ("#/projects/NAME?filter=...&sort=..."), so a link reproduces
// the view. Changing a value replaces the history entry without re-rendering the page.

/** The current route: {path, params}. */
export function route() {
  const [path, query = ""] = location.hash.replace(/^#/, "").split("?");
  return { path: path || "/", params: new URLSearchParams(query) };
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
