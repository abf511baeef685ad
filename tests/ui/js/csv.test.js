// The CSV / TSV preview of logged files: cells split as the format quotes them.

import assert from "node:assert/strict";
import { test } from "node:test";
import { ui } from "./support.js";

const { parseCsv } = await import(ui("artifacts.js"));

test("cells, quoted cells with separators, quotes and line breaks", () => {
  assert.deepEqual(parseCsv('a,b\n1,"x, ""y""\nz"\n'), [["a", "b"], ["1", 'x, "y"\nz']]);
  assert.deepEqual(parseCsv("a,\r\n,b\rc"), [["a", ""], ["", "b"], ["c"]]);
  assert.deepEqual(parseCsv("a,b,"), [["a", "b", ""]]);
  assert.deepEqual(parseCsv(""), []);
  assert.deepEqual(parseCsv("a\tb,c\n", "\t"), [["a", "b,c"]]);
  assert.deepEqual(parseCsv("<script>alert(1)</script>,x"), [["<script>alert(1)</script>", "x"]]);
});

test("a long file stops past 500 rows (the preview shows the first 500)", () => {
  const rows = parseCsv(Array.from({ length: 2000 }, (_, i) => `${i},v`).join("\n"));
  assert.equal(rows.length, 501);
  assert.deepEqual(rows[500], ["500", "v"]);
});
