// What a run logged beyond numbers: a panel per media key (images with their mask and box
// overlays, audio, video, HTML in a sandboxed frame, text, tables, plots) with a step
// slider, and histograms over steps as a distribution heatmap.

import { api } from "./api.js";
import { distribution } from "./distribution.js";
import { gifPlayer } from "./gif_player.js";
import { contextLabel, errorNotice, fill, fmtBytes, h } from "./dom.js";
import {
  boxLabel, boxRect, classColor, maskClassIds, maskPixels, pngPalette,
} from "./overlays.js";
import { loadPlotly } from "./plotly.js";
import { plotView } from "./plots.js";
import { tableViewer } from "./tables.js";
import { chartColors } from "./theme.js";

// What logged HTML may load: only what it carries inline. Its scripts run (in the sandbox's
// opaque origin), but reach nothing over the network: no request of theirs reaches the server,
// so none can change anything there (MLflow's routes take simple cross-origin POSTs, which a
// browser would send without asking, with the HTTP credentials it has cached).
const FRAME_POLICY = "default-src 'none'; script-src 'unsafe-inline' 'unsafe-eval' data: blob:; " +
  "style-src 'unsafe-inline' data:; img-src data: blob:; media-src data: blob:; font-src data:";

/** Logged `html` with the frame's content security policy first (after its doctype): what
 * follows cannot loosen it, and the documents it navigates to in the frame inherit it. */
export function framedHtml(html) {
  const meta = `<meta http-equiv="Content-Security-Policy" content="${FRAME_POLICY}">`;
  const doctype = /^\s*<!doctype[^>]*>/i.exec(html);
  return doctype ? doctype[0] + meta + html.slice(doctype[0].length) : meta + html;
}

// Text and HTML are read into the page: past this size they are offered as downloads.
const INLINE_LIMIT = 8 * 1024 * 1024;
const SVG = "http://www.w3.org/2000/svg";

/** The overlays a key's images carry, with which are shown: {masks: Map(name -> {labels,
 * shown, hidden classes}), boxes: Map(name -> {shown})}; views redraw on `changed`. */
export function overlayState(items) {
  const state = { masks: new Map(), boxes: new Map(), listeners: new Set() };
  for (const item of items) {
    for (const [name, m] of Object.entries(item.meta?.masks ?? {})) {
      if (!state.masks.has(name)) {
        state.masks.set(name, { labels: m.class_labels ?? {}, shown: true, hidden: new Set() });
      }
    }
    for (const name of Object.keys(item.meta?.boxes ?? {})) {
      if (!state.boxes.has(name)) state.boxes.set(name, { shown: true });
    }
  }
  state.changed = () => state.listeners.forEach((f) => f());
  return state;
}

/** Toggles of the overlays of `state`: a checkbox per mask and box set, and per mask class
 * a coloured chip that hides or shows that class. */
export function overlayControls(state) {
  if (!state.masks.size && !state.boxes.size) return null;
  const toggle = (kind, name, set) => h("label", { class: "overlay-toggle" },
    h("input", { type: "checkbox", checked: set.shown, dataset: { overlay: `${kind}:${name}` },
      onchange: (ev) => { set.shown = ev.target.checked; state.changed(); } }),
    `${kind} ${name}`);
  const classChip = (set, id, label) => h("button", { type: "button", class: "chip class-chip",
    dataset: { classId: id }, "aria-pressed": "true",
    onclick: (ev) => {
      const hidden = !set.hidden.has(Number(id));
      if (hidden) set.hidden.add(Number(id)); else set.hidden.delete(Number(id));
      ev.currentTarget.setAttribute("aria-pressed", String(!hidden));
      state.changed();
    } }, h("span", { class: "swatch", style: `background:${classColor(Number(id))}` }), label);
  return h("div", { class: "toolbar overlays" },
    [...state.masks].map(([name, set]) => h("span", { class: "overlay-set" },
      toggle("mask", name, set),
      Object.entries(set.labels).map(([id, label]) => classChip(set, id, label)))),
    [...state.boxes].map(([name, set]) => toggle("boxes", name, set)));
}

async function maskCanvas(runId, file, width, height) {
  const blob = await api.fileBlob(runId, `media/${file}`);
  const bytes = new Uint8Array(await blob.arrayBuffer());
  const bitmap = await createImageBitmap(new Blob([bytes], { type: "image/png" }),
    { colorSpaceConversion: "none", premultiplyAlpha: "none" });
  const scratch = new OffscreenCanvas(bitmap.width, bitmap.height).getContext("2d");
  scratch.drawImage(bitmap, 0, 0);
  const ids = maskClassIds(scratch.getImageData(0, 0, bitmap.width, bitmap.height).data,
    pngPalette(bytes));
  const canvas = h("canvas", { class: "mask", width, height });
  return { canvas, ids };
}

function boxesSvg(sets, width, height) {
  const svg = document.createElementNS(SVG, "svg");
  svg.setAttribute("viewBox", `0 0 ${width} ${height}`);
  svg.setAttribute("preserveAspectRatio", "none");
  svg.classList.add("boxes");
  // Captions in the image's pixels: about a thirtieth of its size, whatever it is shown at.
  svg.setAttribute("font-size", Math.max(6, Math.round(Math.max(width, height) / 30)));
  const groups = new Map();
  for (const [name, set] of Object.entries(sets)) {
    const g = document.createElementNS(SVG, "g");
    g.dataset.boxes = name;
    for (const box of set.box_data) {
      const r = boxRect(box, width, height);
      const color = classColor(box.class_id);
      const rect = document.createElementNS(SVG, "rect");
      for (const [k, v] of Object.entries({ x: r.x, y: r.y, width: r.w, height: r.h })) {
        rect.setAttribute(k, v);
      }
      rect.setAttribute("stroke", color);
      const text = document.createElementNS(SVG, "text");
      text.setAttribute("x", r.x + 2);
      text.setAttribute("y", Math.max(r.y - 3, 10));
      text.setAttribute("fill", color);
      text.textContent = boxLabel(box, set.class_labels);
      g.append(rect, text);
    }
    svg.append(g);
    groups.set(name, g);
  }
  return { svg, groups };
}

/** An image with its overlays, redrawn when `state` changes. */
function imageView(runId, item, state) {
  const { width, height } = item.meta;
  const img = h("img", { src: api.fileUrl(runId, item.path), alt: item.meta.caption ?? item.key,
    width, height });
  const frame = h("div", { class: "media-image" }, img);
  const masks = [];
  const boxes = item.meta.boxes ? boxesSvg(item.meta.boxes, width, height) : null;
  if (boxes) frame.append(boxes.svg);
  const draw = () => {
    for (const { name, canvas, ids } of masks) {
      const set = state.masks.get(name);
      canvas.hidden = !set.shown;
      const data = new ImageData(maskPixels(ids, set.hidden), width, height);
      canvas.getContext("2d").putImageData(data, 0, 0);
    }
    for (const [name, g] of boxes?.groups ?? []) {
      g.style.display = state.boxes.get(name).shown ? "" : "none";
    }
  };
  Promise.all(Object.entries(item.meta.masks ?? {}).map(async ([name, m]) => {
    const { canvas, ids } = await maskCanvas(runId, m.file, width, height);
    canvas.dataset.mask = name;
    masks.push({ name, canvas, ids });
    frame.insertBefore(canvas, boxes?.svg ?? null);
  })).then(draw).catch((err) => frame.append(errorNotice(err)));
  state.listeners.add(draw);
  draw();
  return frame;
}

async function inlineText(runId, item, show) {
  if (item.size > INLINE_LIMIT) {
    return h("p", { class: "muted" }, `Too large to show here (${fmtBytes(item.size)}); `,
      h("a", { href: api.fileUrl(runId, item.path), download: "" }, "download it"), ".");
  }
  return show(await api.fileText(runId, item.path));
}

/** One media value as an element: `state` holds an image key's overlay toggles. */
export function mediaView(runId, item, state) {
  const url = api.fileUrl(runId, item.path);
  switch (item.kind) {
    case "image":
      return imageView(runId, item, state);
    case "audio":
      return h("audio", { controls: true, preload: "metadata", src: url });
    case "video":
      return item.path.endsWith(".gif")
        ? gifPlayer(runId, item.path, item.meta.caption ?? item.key)
        : h("video", { class: "media-video", controls: true, preload: "metadata", src: url });
    case "html": {
      // No allow-same-origin: the page's script runs in an opaque origin of its own, so it
      // can read neither this page nor its cookies; FRAME_POLICY keeps it off the network.
      const frame = h("iframe", { class: "media-html", sandbox: "allow-scripts",
        title: item.key, referrerpolicy: "no-referrer" });
      const holder = h("div", { class: "media-html-holder" }, frame);
      inlineText(runId, item, (text) => { frame.srcdoc = framedHtml(text); return null; })
        .then((note) => note && fill(holder, note)).catch((err) => fill(holder, errorNotice(err)));
      return holder;
    }
    case "text": {
      const pre = h("pre", { class: "media-text" }, "Loading…");
      inlineText(runId, item, (text) => { pre.textContent = text; return null; })
        .then((note) => note && pre.replaceWith(note)).catch((err) => fill(pre, errorNotice(err)));
      return pre;
    }
    case "table":
      return tableViewer(runId, item);
    case "plot":
      return plotView(runId, item);
    default:
      return h("a", { href: url, download: "" }, `download (${item.kind})`);
  }
}

/** A grid cell: the value, its caption, and its context where it has one. */
export function mediaCell(runId, item, state, title = null) {
  const caption = [title, contextLabel(item.context), item.meta?.caption]
    .filter(Boolean).join(" · ");
  return h("figure", { class: "media-cell", dataset: { kind: item.kind, step: item.step } },
    mediaView(runId, item, state), h("figcaption", {}, caption || `step ${item.step}`));
}

/** A slider over `steps` (sorted, distinct) that calls `onStep` with the chosen one; it
 * starts at `initial` (else the last step). */
export function stepSlider(steps, onStep, initial = steps[steps.length - 1], id = null) {
  const start = Math.max(0, steps.indexOf(initial));
  if (steps.length < 2) return h("span", { class: "step-label" }, `step ${steps[start]}`);
  const label = h("output", { class: "step-label" }, `step ${steps[start]}`);
  const slider = h("input", { type: "range", class: "step-slider", id, min: 0,
    max: steps.length - 1, value: start, "aria-label": "step" });
  slider.addEventListener("input", () => {
    const step = steps[Number(slider.value)];
    label.textContent = `step ${step}`;
    onStep(step);
  });
  return h("label", { class: "step" }, slider, label);
}

/** A distribution heatmap of `hists` ([{step, edges, counts}]) in `el`, titled `title`. */
export async function drawDistribution(el, hists, title) {
  const { steps, centers, z } = distribution(hists);
  const Plotly = await loadPlotly("full"); // heatmaps are not in the basic bundle
  const colors = chartColors();
  await Plotly.react(el, [{ type: "heatmap", x: steps, y: centers, z, colorscale: "Viridis",
    colorbar: { title: { text: "count" } },
    hovertemplate: "step %{x}<br>value %{y:.4g}<br>count %{z:.4g}<extra></extra>" }], {
    title: { text: title, font: { size: 13 } }, height: 300,
    margin: { l: 60, r: 20, t: 36, b: 40 }, paper_bgcolor: colors.bg, plot_bgcolor: colors.bg,
    font: { color: colors.fg },
    // Few steps: a tick at each (plotly would put some between them).
    xaxis: { title: { text: "step" }, gridcolor: colors.grid,
      ...(steps.length <= 12 ? { tickvals: steps } : {}) },
    yaxis: { title: { text: "value" }, gridcolor: colors.grid },
  }, { displaylogo: false, responsive: true });
}

const byStep = (items) => {
  const steps = new Map();
  for (const item of items) {
    if (!steps.has(item.step)) steps.set(item.step, []);
    steps.get(item.step).push(item);
  }
  return steps;
};

async function mediaPanel(runId, key, body) {
  const items = await api.media(runId, key);
  const steps = byStep(items);
  const state = overlayState(items);
  const grid = h("div", { class: "media-grid" });
  const show = (step) => {
    state.listeners.clear();
    fill(grid, steps.get(step).map((item) => mediaCell(runId, item, state)));
  };
  const sorted = [...steps.keys()].sort((a, b) => a - b);
  fill(body, h("div", { class: "toolbar" }, stepSlider(sorted, show)), overlayControls(state),
    grid);
  show(sorted[sorted.length - 1]);
}

async function histogramPanel(runId, key, body) {
  const hists = await api.histograms(runId, key);
  const contexts = [...new Set(hists.map((x) => x.context))];
  fill(body);
  for (const context of contexts) {
    const chart = h("div", { class: "chart distribution", dataset: { key, context } });
    body.append(chart);
    await drawDistribution(chart, hists.filter((x) => x.context === context),
      [key, contextLabel(context)].filter(Boolean).join(" "));
  }
}

/** The media section of run `runId`: a panel per key, or null where it logged none. */
export async function mediaSection(runId) {
  const keys = await api.mediaKeys(runId);
  if (!keys.length) return null;
  const kinds = new Map();
  for (const k of keys) kinds.set(k.key, k.kind === "histogram" ? "histogram" : "media");
  const panels = [...kinds].map(([key, kind]) => {
    const body = h("div", {}, h("p", { class: "muted" }, "Loading…"));
    const draw = kind === "histogram" ? histogramPanel : mediaPanel;
    draw(runId, key, body).catch((err) => fill(body, errorNotice(err)));
    return h("div", { class: "panel media-panel", dataset: { key, kind } }, h("h3", {}, key), body);
  });
  return h("div", { class: "media-panels" }, panels);
}
