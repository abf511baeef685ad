// Filters the UI builds (run ids, IN lists, config keys, the quick search), checked against
// the real store's parser and search.

import assert from "node:assert/strict";
import { test } from "node:test";
import { oracle, ui } from "./support.js";

const { containsPattern, filterKey, filterString } = await import(ui("dom.js"));
const { effectiveFilter } = await import(ui("pages/runs.js"));

const NAMES = ["my_run", "myXrun", "50%", "500", "O'Brien", "back\\slash", "back\\\\slash",
  "quote\"d", "a*b", "naïve", "plain"];

/** The names of NAMES each filter matches in a real store. */
const matches = (filters) => JSON.parse(oracle("filter", { names: NAMES, filters }));

test("a quoted string means exactly its text to the real parser", () => {
  const filters = NAMES.map((n) => `attributes.run_name = ${filterString(n)}`);
  assert.deepEqual(matches(filters), NAMES.map((n) => [n]));
  const inList = `attributes.run_name IN (${NAMES.map(filterString).join(", ")})`;
  assert.deepEqual(matches([inList]), [[...NAMES].sort()]);
});

test("the quick search finds the names containing what was typed, wildcards literal", () => {
  const cases = {
    my_run: ["my_run"], "%": ["50%"], "O'Brien": ["O'Brien"], "\\": ["back\\slash",
      "back\\\\slash"], "\\\\": ["back\\\\slash"], "e\"d": ['quote"d'], 'quote"': ['quote"d'],
    "*": ["a*b"], NAÏVE: ["naïve"], "": NAMES,
  };
  const typed = Object.keys(cases);
  const found = matches(typed.map((q) => effectiveFilter("", q) || "attributes.run_name != ''"));
  typed.forEach((q, i) => assert.deepEqual(found[i], [...cases[q]].sort(), q));
  assert.equal(effectiveFilter("", ""), "");
  assert.equal(containsPattern("a_%\\"), "'%a\\\\_\\\\%\\\\\\\\%'");
});

test("the typed filter and the quick search are joined by AND", () => {
  const filter = effectiveFilter("  attributes.run_name LIKE '%run'  ", "my");
  assert.equal(filter, "attributes.run_name LIKE '%run' AND attributes.run_name ILIKE '%my%'");
  assert.deepEqual(matches([filter]), [["myXrun", "my_run"]]);
});

test("a backquoted key names any config key, backquotes and backslashes included", () => {
  const keys = ["lr", "optimizer.lr", "a b", "a`b", "back\\slash", "``", "it's", "ü"];
  const names = keys.map((_, i) => `run${i}`);
  const configs = keys.map((k, i) => ({ [k]: i, other: -1 }));
  const filters = keys.map((k, i) => `${filterKey("params", k)} = ${i}`);
  assert.deepEqual(JSON.parse(oracle("filter", { names, configs, filters })),
    names.map((n) => [n]));
  assert.equal(filterKey("metrics", "a`b"), "metrics.`a``b`");
});
