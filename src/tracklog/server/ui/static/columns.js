// The runs table's extra columns (summary metrics, config, tags): the default set of a project,
// and the user's own choice, kept per project in this browser.

const MAX_DEFAULT = 10; // of each kind: a project with hundreds of keys keeps a readable table
const STORE_PREFIX = "tracklog.columns.";

/** Whether a summary key is one people look at: not the machine's (system/...) nor the
 * bookkeeping that W&B-style scripts log (_step, _runtime). */
const interesting = (key) => !key.startsWith("system/") && !key.startsWith("_");

/** The columns a project's table starts with, as W&B and MLflow show: its summary metrics,
 * then the config keys that vary between its runs (`keys` as the project keys API answers). */
export function defaultColumns(keys) {
  const metrics = keys.metrics.filter(interesting).slice(0, MAX_DEFAULT);
  const params = (keys.varying_params ?? []).slice(0, MAX_DEFAULT);
  return [...metrics.map((k) => `metrics.${k}`), ...params.map((k) => `params.${k}`)];
}

/** The columns the user chose for `project` in this browser, or null if none were chosen. */
export function storedColumns(project) {
  try {
    const cols = JSON.parse(localStorage.getItem(STORE_PREFIX + project));
    return Array.isArray(cols) && cols.every((c) => typeof c === "string") ? cols : null;
  } catch {
    return null; // storage refused (private mode) or not ours: no choice kept
  }
}

/** Keep `cols` as the user's choice for `project`. */
export function storeColumns(project, cols) {
  try {
    localStorage.setItem(STORE_PREFIX + project, JSON.stringify(cols));
  } catch {
    // storage refused (private mode, quota): the URL still holds the choice
  }
}

/** Whether every value of `values` that is shown is a number (and at least one is): such a
 * column's cells and header are right-aligned. */
export function isNumeric(values) {
  const shown = values.filter((v) => v !== null && v !== undefined && v !== "");
  return shown.length > 0 && shown.every((v) => typeof v === "number"
    || ["NaN", "Infinity", "-Infinity"].includes(v));
}
