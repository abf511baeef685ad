// A small Markdown renderer for file previews: headings, lists, code blocks, paragraphs and
// inline code, bold, italics and links. It parses into a tree of plain nodes whose text is
// only ever text (never HTML), then builds DOM nodes from it, so nothing in a file can run as
// script: raw HTML shows as typed, and only http(s) URLs become links.

import { h } from "./dom.js";

// A link's URL may hold one level of parentheses (Wikipedia's "Foo_(bar)").
const URL_PART = String.raw`(?:[^()\s]|\([^()\s]*\))+`;
const INLINE = new RegExp(String.raw`(\`[^\`]+\`)|(\*\*[^*]+\*\*)|(\*[^*]+\*)|`
  + String.raw`(\[([^\]]+)\]\((${URL_PART})\))`);
const LIST_ITEM = /^\s*([-*]|\d+\.)\s/;
const ORDERED = /^\s*\d+\./;
const HEADING = /^#{1,6}\s/;

/** A node of the tree: an element `tag` with `attrs` and `children` (nodes or text). */
const node = (tag, attrs, ...children) => ({ tag, attrs, children });

function inline(text) {
  const out = [];
  let rest = text;
  let m;
  while ((m = INLINE.exec(rest))) {
    if (m.index) out.push(rest.slice(0, m.index));
    const [token] = m;
    if (m[1]) out.push(node("code", {}, token.slice(1, -1)));
    else if (m[2]) out.push(node("strong", {}, token.slice(2, -2)));
    else if (m[3]) out.push(node("em", {}, token.slice(1, -1)));
    else {
      const [label, href] = [m[5], m[6]];
      // Only web links: a javascript: or data: URL in a logged file must not become a link.
      out.push(/^https?:\/\//i.test(href)
        ? node("a", { href, rel: "noopener noreferrer", target: "_blank" }, label) : label);
    }
    rest = rest.slice(m.index + token.length);
  }
  if (rest) out.push(rest);
  return out;
}

/** `text` as a tree of plain nodes ({tag, attrs, children}): the root a div of class
 * "markdown" holding its blocks. */
export function parseMarkdown(text) {
  const blocks = [];
  const lines = text.replace(/\r\n?/g, "\n").split("\n");
  let i = 0;
  while (i < lines.length) {
    const line = lines[i];
    if (line.startsWith("```")) {
      const code = [];
      for (i += 1; i < lines.length && !lines[i].startsWith("```"); i += 1) code.push(lines[i]);
      blocks.push(node("pre", {}, node("code", {}, code.join("\n"))));
      i += 1;
    } else if (HEADING.test(line)) {
      const level = line.match(/^#+/)[0].length;
      // A closing run of #s ("## Title ##") is not part of the title.
      const title = line.slice(level).replace(/\s#+\s*$/, "").trim();
      blocks.push(node(`h${level}`, {}, ...inline(title)));
      i += 1;
    } else if (LIST_ITEM.test(line)) {
      // A list goes on while its items are of its kind: "1." after "-" starts another list.
      const ordered = ORDERED.test(line);
      const items = [];
      for (; i < lines.length && LIST_ITEM.test(lines[i]) && ORDERED.test(lines[i]) === ordered;
        i += 1) {
        items.push(node("li", {}, ...inline(lines[i].replace(LIST_ITEM, ""))));
      }
      blocks.push(node(ordered ? "ol" : "ul", {}, ...items));
    } else if (line.trim() === "") {
      i += 1;
    } else {
      // A paragraph ends at a blank line, or where a fence, heading or list begins.
      const para = [];
      for (; i < lines.length && lines[i].trim() !== "" && !lines[i].startsWith("```")
        && !HEADING.test(lines[i]) && !LIST_ITEM.test(lines[i]); i += 1) para.push(lines[i]);
      blocks.push(node("p", {}, ...inline(para.join(" "))));
    }
  }
  return node("div", { class: "markdown" }, ...blocks);
}

/** DOM nodes of a parsed tree: text stays text nodes. */
function build(tree) {
  if (typeof tree === "string") return tree;
  return h(tree.tag, tree.attrs, tree.children.map(build));
}

/** `text` as Markdown, rendered into a <div class="markdown">. */
export function renderMarkdown(text) {
  return build(parseMarkdown(text));
}
