// Dark and light themes: the choice is kept in localStorage; charts read the colours here.

const KEY = "tracklog.theme";

/** "dark" or "light": the stored choice, else the system's preference. */
export function currentTheme() {
  const stored = localStorage.getItem(KEY);
  if (stored === "dark" || stored === "light") return stored;
  return matchMedia("(prefers-color-scheme: dark)").matches ? "dark" : "light";
}

export function applyTheme(theme = currentTheme()) {
  document.documentElement.dataset.theme = theme;
}

/** Switch theme, remember it, and tell pages (charts redraw in the new colours). */
export function toggleTheme() {
  const next = currentTheme() === "dark" ? "light" : "dark";
  localStorage.setItem(KEY, next);
  applyTheme(next);
  window.dispatchEvent(new CustomEvent("themechange"));
}

/** Colours of the current theme for plotly layouts. */
export function chartColors() {
  const css = getComputedStyle(document.documentElement);
  const v = (name) => css.getPropertyValue(name).trim();
  return { fg: v("--fg"), grid: v("--grid"), bg: v("--panel") };
}
