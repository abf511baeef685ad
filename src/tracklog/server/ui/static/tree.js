// A nested object as a collapsible tree, with a search box that keeps only matching leaves.

import { fmtValue, h } from "./dom.js";

function branch(obj, prefix, open) {
  return h("ul", { class: "tree" }, Object.entries(obj).map(([key, value]) => {
    const path = prefix ? `${prefix}.${key}` : key;
    if (value !== null && typeof value === "object" && !Array.isArray(value)) {
      return h("li", {}, h("details", { open }, h("summary", {}, key), branch(value, path, open)));
    }
    return h("li", { class: "leaf", dataset: { path } },
      h("span", { class: "key" }, key), " ", h("span", { class: "value" }, fmtValue(value)));
  }));
}

/** A tree of `obj` with a search box; `id` names the box for tests and labels. */
export function searchableTree(obj, id, { open = true } = {}) {
  if (!obj || !Object.keys(obj).length) return h("p", { class: "muted" }, "(empty)");
  const tree = branch(obj, "", open);
  const search = h("input", { type: "search", id, class: "tree-search",
    placeholder: "Search keys and values",
    "aria-label": id });
  search.addEventListener("input", () => {
    const q = search.value.trim().toLowerCase();
    tree.querySelectorAll("li.leaf").forEach((li) => {
      li.hidden = q !== "" && !li.textContent.toLowerCase().includes(q) &&
        !li.dataset.path.toLowerCase().includes(q);
    });
    // Innermost branches first, so a parent sees whether its children stayed visible.
    [...tree.querySelectorAll("details")].reverse().forEach((d) => {
      const visible = [...d.querySelectorAll(":scope > ul > li")].some((li) => !li.hidden);
      d.parentElement.hidden = !visible;
      if (q) d.open = true;
    });
  });
  return h("div", {}, search, tree);
}
