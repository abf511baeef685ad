// The Markdown preview of logged files: what it renders, and that nothing in a file can run
// as script (raw HTML stays text, only http(s) URLs become links, no attribute comes from the
// file but a checked link's href).

import assert from "node:assert/strict";
import { test } from "node:test";
import { ui } from "./support.js";

const { parseMarkdown } = await import(ui("markdown.js"));

/** Every element of a tree, depth first. */
function* elements(tree) {
  if (typeof tree === "string") return;
  yield tree;
  for (const child of tree.children) yield* elements(child);
}

/** The text of a tree, as a browser would show it. */
const text = (tree) => (typeof tree === "string" ? tree : tree.children.map(text).join(""));

/** The blocks under the root, as [tag, text]. */
const blocks = (md) => parseMarkdown(md).children.map((b) => [b.tag, text(b)]);

const TAGS = new Set(["div", "p", "h1", "h2", "h3", "h4", "h5", "h6", "ul", "ol", "li", "pre",
  "code", "strong", "em", "a"]);

/** The safety rules, for any input: known tags only; the root's class, and a link's href,
 * rel and target, are the only attributes; every href is a web URL. */
function assertSafe(md) {
  const tree = parseMarkdown(md);
  assert.deepEqual(tree.attrs, { class: "markdown" });
  for (const el of elements(tree)) {
    assert.ok(TAGS.has(el.tag), `tag ${el.tag} from ${JSON.stringify(md)}`);
    if (el === tree) continue;
    if (el.tag !== "a") {
      assert.deepEqual(el.attrs, {}, `attributes of ${el.tag} from ${JSON.stringify(md)}`);
      continue;
    }
    assert.deepEqual(Object.keys(el.attrs).sort(), ["href", "rel", "target"]);
    assert.match(el.attrs.href, /^https?:\/\//i);
    assert.equal(el.attrs.rel, "noopener noreferrer");
  }
  return tree;
}

const HOSTILE = [
  "<script>alert(1)</script>",
  "# <img src=x onerror=alert(1)>",
  "- <a href=\"javascript:alert(1)\">x</a>",
  "[click](javascript:alert(1))",
  "[click](JaVaScRiPt:alert(1))",
  "[click](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
  "[click](vbscript:msgbox(1))",
  "[click](//evil.example/x)",
  "[click]( javascript:alert(1))",
  "[x](https://ok.example/\"onmouseover=\"alert(1))",
  "[x](https://ok.example/a) onclick=alert(1)",
  "**<iframe src=javascript:alert(1)>**",
  "`<svg onload=alert(1)>`",
  "```html\n<script>alert(1)</script>\n```",
  "*<style>body{display:none}</style>*",
  "<!-- comment --> &lt;b&gt; &amp;",
  "[<b>label</b>](https://ok.example)",
];

test("hostile input renders as text: no element or attribute comes from the file", () => {
  for (const md of HOSTILE) {
    const tree = assertSafe(md);
    // Every tag the file typed is still there, as text.
    const count = (t) => t.split("<").length - 1;
    assert.equal(count(text(tree)), count(md), md);
  }
});

test("script URLs stay text; web links become links that open apart", () => {
  assert.deepEqual(blocks("[a](javascript:alert(1)) and [b](data:x)"), [["p", "a and b"]]);
  const [p] = parseMarkdown("see [docs](https://example.com/a?b=1&c=<2>) now").children;
  assert.equal(p.children[0], "see ");
  assert.deepEqual(p.children[1], { tag: "a", attrs: { href: "https://example.com/a?b=1&c=<2>",
    rel: "noopener noreferrer", target: "_blank" }, children: ["docs"] });
  assert.equal(p.children[2], " now");
  assert.equal(assertSafe("[up](HTTPS://EXAMPLE.COM)").children[0].children[0].tag, "a");
  // The href is an attribute value, never markup: a quote in it cannot open another one.
  const [q] = parseMarkdown("[x](https://a.example/\"onmouseover=\"alert(1))").children;
  assert.equal(q.children[0].attrs.href, "https://a.example/\"onmouseover=\"alert(1)");
});

test("a link's URL may hold parentheses", () => {
  const [p] = parseMarkdown("[X](https://en.wikipedia.org/wiki/X_(y)) after").children;
  assert.equal(p.children[0].attrs.href, "https://en.wikipedia.org/wiki/X_(y)");
  assert.equal(p.children[1], " after");
});

test("headings, paragraphs, code blocks and inline marks", () => {
  assert.deepEqual(blocks("# Title\n\nsome\ntext\n\n```\n# not a heading\n<b>\n```\n###### six"),
    [["h1", "Title"], ["p", "some text"], ["pre", "# not a heading\n<b>"], ["h6", "six"]]);
  assert.deepEqual(blocks("## Closed ##\n#hashtag\n####### seven"),
    [["h2", "Closed"], ["p", "#hashtag ####### seven"]]);
  const [p] = parseMarkdown("a `c*d*` **b** *e* f").children;
  assert.deepEqual(p.children.map((c) => (typeof c === "string" ? c : [c.tag, text(c)])),
    ["a ", ["code", "c*d*"], " ", ["strong", "b"], " ", ["em", "e"], " f"]);
  assert.deepEqual(blocks("line\r\nnext\r\rlast"), [["p", "line next"], ["p", "last"]]);
  assert.deepEqual(blocks("```\nunclosed\ncode"), [["pre", "unclosed\ncode"]]);
  assert.deepEqual(blocks(""), []);
});

test("lists: a list interrupts a paragraph, and a change of kind starts a new list", () => {
  assert.deepEqual(blocks("Findings:\n- lr 0.1\n- lr 0.01"),
    [["p", "Findings:"], ["ul", "lr 0.1lr 0.01"]]);
  const tree = parseMarkdown("- a\n* b\n1. one\n2. two\n- c");
  assert.deepEqual(tree.children.map((b) => [b.tag, b.children.length]),
    [["ul", 2], ["ol", 2], ["ul", 1]]);
  assert.deepEqual(blocks("*not a list*"), [["p", "not a list"]]);
});
