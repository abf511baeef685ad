// A small Markdown renderer for file previews: headings, lists, code blocks, paragraphs and
// inline code, bold, italics and links. It builds DOM nodes (never HTML strings), so nothing
// in a file can run as script.

import { h } from "./dom.js";

const INLINE = /(`[^`]+`)|(\*\*[^*]+\*\*)|(\*[^*]+\*)|(\[[^\]]+\]\([^)\s]+\))/;

function inline(text) {
  const out = [];
  let rest = text;
  let m;
  while ((m = INLINE.exec(rest))) {
    out.push(rest.slice(0, m.index));
    const [token] = m;
    if (m[1]) out.push(h("code", {}, token.slice(1, -1)));
    else if (m[2]) out.push(h("strong", {}, token.slice(2, -2)));
    else if (m[3]) out.push(h("em", {}, token.slice(1, -1)));
    else {
      const [, label, href] = token.match(/^\[([^\]]+)\]\(([^)\s]+)\)$/);
      // Only web links: a javascript: or data: URL in a logged file must not become a link.
      out.push(/^https?:\/\//.test(href) ? h("a", { href, rel: "noopener", target: "_blank" },
        label) : label);
    }
    rest = rest.slice(m.index + token.length);
  }
  out.push(rest);
  return out;
}

/** `text` as Markdown, rendered into a <div class="markdown">. */
export function renderMarkdown(text) {
  const blocks = [];
  const lines = text.replace(/\r\n?/g, "\n").split("\n");
  let i = 0;
  while (i < lines.length) {
    const line = lines[i];
    if (line.startsWith("```")) {
      const code = [];
      for (i += 1; i < lines.length && !lines[i].startsWith("```"); i += 1) code.push(lines[i]);
      blocks.push(h("pre", {}, h("code", {}, code.join("\n"))));
      i += 1;
    } else if (/^#{1,6}\s/.test(line)) {
      const level = line.match(/^#+/)[0].length;
      blocks.push(h(`h${level}`, {}, inline(line.slice(level).trim())));
      i += 1;
    } else if (/^\s*([-*]|\d+\.)\s/.test(line)) {
      const ordered = /^\s*\d+\./.test(line);
      const items = [];
      for (; i < lines.length && /^\s*([-*]|\d+\.)\s/.test(lines[i]); i += 1) {
        items.push(h("li", {}, inline(lines[i].replace(/^\s*([-*]|\d+\.)\s/, ""))));
      }
      blocks.push(h(ordered ? "ol" : "ul", {}, items));
    } else if (line.trim() === "") {
      i += 1;
    } else {
      const para = [];
      for (; i < lines.length && lines[i].trim() !== "" && !/^(#{1,6}\s|```)/.test(lines[i]);
        i += 1) para.push(lines[i]);
      blocks.push(h("p", {}, inline(para.join(" "))));
    }
  }
  return h("div", { class: "markdown" }, blocks);
}
