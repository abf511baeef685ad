// The geometry and colours of an image's overlays (W&B's segmentation masks and bounding
// boxes), kept apart from the DOM so node can test them.

// Tableau 10 as RGB: class ids take them in turn.
const CLASS_RGB = [
  [31, 119, 180], [255, 127, 14], [44, 160, 44], [214, 39, 40], [148, 103, 189],
  [140, 86, 75], [227, 119, 194], [127, 127, 127], [188, 189, 34], [23, 190, 207],
];

/** The colour of class `id` (an integer) as [r, g, b]. */
export function classRgb(id) {
  return CLASS_RGB[((id % CLASS_RGB.length) + CLASS_RGB.length) % CLASS_RGB.length];
}

/** The colour of class `id` as CSS. */
export const classColor = (id) => `rgb(${classRgb(id).join(",")})`;

/** A box's rectangle in pixels of an image `width` × `height`: {x, y, w, h}. Its position
 * is minX/maxX/minY/maxY or middle [x, y] with width and height, in fractions of the image
 * unless its domain is "pixel". */
export function boxRect(box, width, height) {
  const p = box.position;
  const [sx, sy] = box.domain === "pixel" ? [1, 1] : [width, height];
  if (p.middle) {
    const [mx, my] = p.middle;
    return { x: (mx - p.width / 2) * sx, y: (my - p.height / 2) * sy, w: p.width * sx,
      h: p.height * sy };
  }
  return { x: p.minX * sx, y: p.minY * sy, w: (p.maxX - p.minX) * sx, h: (p.maxY - p.minY) * sy };
}

/** A box's label: its caption, else its class's name (or id), then its scores. */
export function boxLabel(box, classLabels) {
  const name = box.box_caption ?? classLabels?.[String(box.class_id)] ?? String(box.class_id);
  const scores = Object.entries(box.scores ?? {}).map(([k, v]) => `${k} ${v}`);
  return box.box_caption || !scores.length ? name : `${name} (${scores.join(", ")})`;
}

/** The palette of a PNG file's bytes (a mask of mode P): a Map from "r,g,b" to its first
 * index, or null where the PNG has no palette. */
export function pngPalette(bytes) {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (bytes.length < 33 || view.getUint32(0) !== 0x89504e47) return null;
  if (bytes[25] !== 3) return null; // IHDR's colour type: 3 is indexed
  for (let at = 8; at + 8 <= bytes.length;) {
    const length = view.getUint32(at);
    const type = String.fromCharCode(...bytes.subarray(at + 4, at + 8));
    if (type === "PLTE") {
      const palette = new Map();
      for (let i = 0; i * 3 + 2 < length; i += 1) {
        const c = at + 8 + i * 3;
        const rgb = `${bytes[c]},${bytes[c + 1]},${bytes[c + 2]}`;
        if (!palette.has(rgb)) palette.set(rgb, i);
      }
      return palette;
    }
    if (type === "IDAT") break;
    at += 12 + length;
  }
  return null;
}

/** The class id of each pixel of a mask decoded to RGBA (`rgba`): the grey value, or with a
 * `palette` the index of the pixel's colour (-1 where it has none). */
export function maskClassIds(rgba, palette = null) {
  const ids = new Int16Array(rgba.length / 4);
  for (let i = 0; i < ids.length; i += 1) {
    const [r, g, b] = [rgba[4 * i], rgba[4 * i + 1], rgba[4 * i + 2]];
    ids[i] = palette ? palette.get(`${r},${g},${b}`) ?? -1 : r;
  }
  return ids;
}

/** RGBA pixels of an overlay: each pixel in its class's colour at `alpha` (0..255), clear
 * where its class is in `hidden` (a Set of ids) or unknown. */
export function maskPixels(ids, hidden = new Set(), alpha = 128) {
  const out = new Uint8ClampedArray(ids.length * 4);
  ids.forEach((id, i) => {
    if (id < 0 || hidden.has(id)) return;
    out.set([...classRgb(id), alpha], 4 * i);
  });
  return out;
}
