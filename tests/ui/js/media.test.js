// The media panels' pure parts: box geometry and labels, mask class ids and colours, the PNG
// palette of a mask, histograms spread onto a common grid, and the compare page's step choice.

import assert from "node:assert/strict";
import { deflateSync } from "node:zlib";
import { test } from "node:test";
import { ui } from "./support.js";

const { boxLabel, boxRect, classRgb, maskClassIds, maskPixels, pngPalette } =
  await import(ui("overlays.js"));
const { distribution } = await import(ui("distribution.js"));
const { itemsAt } = await import(ui("media_compare.js"));
const { framedHtml } = await import(ui("media.js"));

test("a box in fractions of the image, or in pixels, by corners or by its middle", () => {
  const corners = { position: { minX: 0.1, maxX: 0.5, minY: 0.25, maxY: 0.75 } };
  assert.deepEqual(boxRect(corners, 200, 100), { x: 20, y: 25, w: 80, h: 50 });
  const middle = { position: { middle: [150, 100], width: 100, height: 40 }, domain: "pixel" };
  assert.deepEqual(boxRect(middle, 300, 200), { x: 100, y: 80, w: 100, h: 40 });
  const fraction = { position: { middle: [0.5, 0.5], width: 0.5, height: 0.25 } };
  assert.deepEqual(boxRect(fraction, 100, 80), { x: 25, y: 30, w: 50, h: 20 });
});

test("a box's label: its caption, else its class name with its scores", () => {
  const labels = { 1: "cat" };
  assert.equal(boxLabel({ class_id: 1, box_caption: "a cat" }, labels), "a cat");
  assert.equal(boxLabel({ class_id: 1, scores: { p: 0.9 } }, labels), "cat (p 0.9)");
  assert.equal(boxLabel({ class_id: 7 }, labels), "7");
});

test("class colours cycle through the palette, negative ids too", () => {
  assert.deepEqual(classRgb(0), classRgb(10));
  assert.notDeepEqual(classRgb(0), classRgb(1));
  assert.equal(classRgb(-1).length, 3);
});

test("mask pixels: grey values are class ids; hidden and unknown classes stay clear", () => {
  const rgba = new Uint8ClampedArray([0, 0, 0, 255, 1, 1, 1, 255, 2, 2, 2, 255]);
  const ids = maskClassIds(rgba);
  assert.deepEqual([...ids], [0, 1, 2]);
  const out = maskPixels(Int16Array.from([0, 1, -1]), new Set([0]), 100);
  assert.deepEqual([...out], [0, 0, 0, 0, ...classRgb(1), 100, 0, 0, 0, 0]);
});

/** A PNG's bytes with the chunks given (no CRCs are checked by pngPalette). */
function png(colourType, chunks) {
  const chunk = (type, data) => {
    const head = Buffer.alloc(8);
    head.writeUInt32BE(data.length);
    head.write(type, 4, "latin1");
    return Buffer.concat([head, Buffer.from(data), Buffer.alloc(4)]);
  };
  const ihdr = Buffer.from([0, 0, 0, 2, 0, 0, 0, 1, 8, colourType, 0, 0, 0]);
  return new Uint8Array(Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 13, 10, 26, 10]),
    chunk("IHDR", ihdr), ...chunks.map(([t, d]) => chunk(t, d))]));
}

test("a palette mask's colours map back to their indices, the first index of a colour winning", () => {
  const plte = [0, 0, 0, 255, 0, 0, 0, 255, 0, 255, 0, 0];
  const bytes = png(3, [["PLTE", plte], ["IDAT", deflateSync(Buffer.from([0, 1, 2]))]]);
  const palette = pngPalette(bytes);
  assert.deepEqual([...palette], [["0,0,0", 0], ["255,0,0", 1], ["0,255,0", 2]]);
  const rgba = new Uint8ClampedArray([255, 0, 0, 255, 0, 255, 0, 255, 9, 9, 9, 255]);
  assert.deepEqual([...maskClassIds(rgba, palette)], [1, 2, -1]);
  assert.equal(pngPalette(png(0, [["IDAT", []]])), null); // grey: no palette
  assert.equal(pngPalette(new Uint8Array([1, 2, 3])), null);
});

test("histograms spread onto one grid keep every count", () => {
  const hists = [
    { step: 2, edges: [0, 1, 2], counts: [4, 6] },
    { step: 0, edges: [-2, 0], counts: [10] },
    { step: 1, edges: [1, 1], counts: [3] }, // one value: a zero-width bin
  ];
  const { steps, centers, z } = distribution(hists, 4);
  assert.deepEqual(steps, [0, 1, 2]);
  assert.deepEqual(centers, [-1.5, -0.5, 0.5, 1.5]);
  assert.deepEqual(z, [[5, 0, 0], [5, 0, 0], [0, 0, 4], [0, 3, 6]]);
});

test("a bin across grid lines is split in proportion; a constant histogram has one row", () => {
  const { z } = distribution([{ step: 0, edges: [0, 3], counts: [9] }], 2);
  assert.deepEqual(z, [[4.5], [4.5]]);
  const flat = distribution([{ step: 5, edges: [2, 2], counts: [7] }]);
  assert.deepEqual(flat, { steps: [5], centers: [2], z: [[7]] });
});

test("the compare page shows each run's last value at or before the chosen step", () => {
  const items = [{ step: 0, context: "" }, { step: 4, context: "" }, { step: 4, context: "v" }];
  assert.deepEqual(itemsAt(items, 3), [items[0]]);
  assert.deepEqual(itemsAt(items, 9), [items[1], items[2]]);
  assert.deepEqual(itemsAt(items, -1), []);
});

test("logged HTML gets the frame's policy first, after its doctype if it has one", () => {
  const policy = /^<meta http-equiv="Content-Security-Policy" content="default-src 'none'; /;
  assert.match(framedHtml("<h1>x</h1>"), policy);
  assert.ok(framedHtml("<h1>x</h1>").endsWith('"><h1>x</h1>'));
  const page = framedHtml("  <!DOCTYPE html><html><script>1</script></html>");
  assert.ok(page.startsWith("  <!DOCTYPE html><meta http-equiv"));
  assert.ok(page.endsWith('"><html><script>1</script></html>'));
});
