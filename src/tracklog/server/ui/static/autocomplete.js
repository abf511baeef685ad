// Completion of keys in the filter box: the word under the cursor ("params.l") is matched
// against the known keys; Tab or a click puts the first (or chosen) one in its place.

import { fill, h } from "./dom.js";

const MAX_SHOWN = 8;

export const ATTRIBUTE_KEYS = ["attributes.status", "attributes.run_name", "attributes.run_id",
  "attributes.user", "attributes.group", "attributes.job_type", "attributes.start_time",
  "attributes.end_time", "attributes.duration"];

/** The word being typed: [start, end] offsets around the cursor. */
function wordAt(text, cursor) {
  let start = cursor;
  while (start > 0 && !/[\s(]/.test(text[start - 1])) start -= 1;
  return [start, cursor];
}

/** Suggest `keys()` (a function, so they can grow as runs load) under `input`. */
export function attachAutocomplete(input, keys) {
  const list = h("ul", { class: "suggestions", id: `${input.id}-suggestions`, role: "listbox",
    hidden: true });
  let shown = [];

  const replace = (key) => {
    const [start, end] = wordAt(input.value, input.selectionStart);
    input.value = `${input.value.slice(0, start)}${key} ${input.value.slice(end)}`;
    const at = start + key.length + 1;
    input.setSelectionRange(at, at);
    list.hidden = true;
    input.focus();
  };

  const update = () => {
    const [start, end] = wordAt(input.value, input.selectionStart);
    const word = input.value.slice(start, end).toLowerCase();
    shown = word.length < 2 ? [] : keys()
      .filter((k) => k.toLowerCase().startsWith(word) && k.toLowerCase() !== word)
      .slice(0, MAX_SHOWN);
    fill(list, shown.map((k) => h("li", { role: "option",
      onmousedown: (e) => { e.preventDefault(); replace(k); } }, k)));
    list.hidden = shown.length === 0;
  };

  input.addEventListener("input", update);
  input.addEventListener("blur", () => { list.hidden = true; });
  input.addEventListener("keydown", (e) => {
    if (e.key === "Tab" && !list.hidden && shown.length) {
      e.preventDefault();
      replace(shown[0]);
    } else if (e.key === "Escape") {
      list.hidden = true;
    }
  });
  return h("div", { class: "autocomplete" }, input, list);
}
