// The runs table: sortable headers, checkbox selection with shift-click ranges, and keyboard
// navigation (up/down move, space selects, enter opens). It only draws; pages own the data.

import { h, fill } from "./dom.js";

export class RunTable {
  /**
   * `columns`: [{id, label, sortKey?, numeric?, cell(run) -> node or text}], `numeric` true or
   * a function of the rows shown (right-aligned, header too); `handlers`: {onSort(sortKey),
   * onSelect(selectedIds), onOpen(run)}.
   */
  constructor(columns, handlers) {
    this.columns = columns;
    this.handlers = handlers;
    this.rows = [];
    this.selected = new Set();
    this.anchor = null; // index of the last clicked checkbox, for shift-click ranges
    this.el = h("table", { class: "runs", tabindex: 0, onkeydown: (e) => this.onKey(e) });
  }

  /** Draw `rows` with `sort` ({key, desc}) marked in the header; with `groupOf(run)`, a
   * heading row starts each run of equal group labels. */
  render(rows, sort, groupOf = null) {
    this.rows = rows;
    const numeric = new Set(this.columns.filter((c) =>
      (typeof c.numeric === "function" ? c.numeric(rows) : c.numeric)).map((c) => c.id));
    const all = rows.length > 0 && rows.every((r) => this.selected.has(r.id));
    const head = h("tr", {},
      // Nothing to select before the rows are there (a click then would select nothing).
      h("th", { class: "check" }, h("input", { type: "checkbox", "aria-label": "select all",
        checked: all, disabled: rows.length === 0,
        onchange: (e) => this.selectAll(e.target.checked) })),
      this.columns.map((c) => this.header(c, sort, numeric.has(c.id))));
    const body = rows.flatMap((run, i) => [
      groupOf && (i === 0 || groupOf(rows[i - 1]) !== groupOf(run))
        ? h("tr", { class: "group-row" }, h("td", { colspan: this.columns.length + 1 },
          groupOf(run), h("span", { class: "muted" },
            ` (${rows.filter((r) => groupOf(r) === groupOf(run)).length} on this page)`)))
        : null,
      h("tr", {
      dataset: { id: run.id }, class: this.selected.has(run.id) ? "selected" : null,
      ondblclick: () => this.handlers.onOpen(run) },
    h("td", { class: "check" }, h("input", { type: "checkbox", "aria-label": `select ${run.name}`,
      checked: this.selected.has(run.id), onclick: (e) => this.onCheck(e, i) })),
    this.columns.map((c) => h("td", { dataset: { col: c.id },
      class: numeric.has(c.id) ? "num" : null }, c.cell(run))))]);
    fill(this.el, h("thead", {}, head), h("tbody", {}, body));
  }

  header(column, sort, numeric) {
    const num = numeric ? "num" : null;
    if (!column.sortKey) return h("th", { class: num }, column.label);
    const active = sort?.key === column.sortKey;
    const arrow = active ? (sort.desc ? " ▼" : " ▲") : "";
    return h("th", { class: ["sortable", num].filter(Boolean).join(" "),
      "aria-sort": active ? (sort.desc ? "descending" : "ascending") : null },
      h("button", { type: "button", onclick: () => this.handlers.onSort(column.sortKey) },
        column.label, arrow));
  }

  onCheck(event, index) {
    const on = event.target.checked;
    const [lo, hi] = event.shiftKey && this.anchor !== null
      ? [Math.min(this.anchor, index), Math.max(this.anchor, index)] : [index, index];
    for (let i = lo; i <= hi; i += 1) {
      if (on) this.selected.add(this.rows[i].id);
      else this.selected.delete(this.rows[i].id);
    }
    this.anchor = index;
    this.changed();
  }

  selectAll(on) {
    this.rows.forEach((r) => (on ? this.selected.add(r.id) : this.selected.delete(r.id)));
    this.changed();
  }

  setSelection(ids) {
    this.selected = new Set(ids);
  }

  changed() {
    this.el.querySelectorAll("tbody tr[data-id]").forEach((tr, i) => {
      const on = this.selected.has(this.rows[i].id);
      tr.classList.toggle("selected", on);
      tr.querySelector("input").checked = on;
    });
    this.handlers.onSelect([...this.selected]);
  }

  onKey(event) {
    const trs = [...this.el.querySelectorAll("tbody tr[data-id]")];
    if (!trs.length) return;
    let at = trs.findIndex((tr) => tr.classList.contains("cursor"));
    if (event.key === "ArrowDown" || event.key === "j") at = Math.min(trs.length - 1, at + 1);
    else if (event.key === "ArrowUp" || event.key === "k") at = Math.max(0, at - 1);
    else if (event.key === " " && at >= 0) {
      const box = trs[at].querySelector("input");
      box.checked = !box.checked;
      this.onCheck({ target: box, shiftKey: event.shiftKey }, at);
    } else if (event.key === "Enter" && at >= 0) this.handlers.onOpen(this.rows[at]);
    else return;
    event.preventDefault();
    trs.forEach((tr, i) => tr.classList.toggle("cursor", i === at));
    trs[at]?.scrollIntoView({ block: "nearest" });
  }
}
