// Run colours: each run prefers a palette slot derived from its id (so it keeps its colour
// across pages), and runs shown together never share one.

// Tableau 10: distinct at a glance. Past ten runs, six more (and then hues by golden angle).
const PALETTE = [
  "#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f",
  "#bcbd22", "#17becf",
];
const EXTRA = ["#393b79", "#e7ba52", "#637939", "#843c39", "#7b4173", "#3182bd"];

/** FNV-1a: a well-spread 32-bit hash of the id. */
function hash(text) {
  let h = 0x811c9dc5;
  for (const ch of text) h = Math.imul(h ^ ch.charCodeAt(0), 0x01000193) >>> 0;
  return h;
}

const GOLDEN_ANGLE = 137.508;

/** The first colour of hue `hue`, then on by golden angles, that is not `taken` (rounded hues
 * of two runs' ids can meet); it is added to `taken`. */
function freeHue(hue, taken) {
  let color;
  // 3600 hues at a tenth of a degree: past that many runs, colours repeat.
  for (let tries = 0; tries < 3600; tries += 1) {
    color = `hsl(${hue.toFixed(1)}, 65%, 50%)`;
    if (!taken.has(color)) break;
    hue = (hue + GOLDEN_ANGLE) % 360;
  }
  taken.add(color);
  return color;
}

/** A Map of run id -> colour for runs drawn together; beyond the palette, hues by golden angle. */
export function runColors(runIds) {
  const colors = new Map();
  const used = new Set();
  const taken = new Set(); // hsl colours given
  [...new Set(runIds)].sort().forEach((id, i) => {
    if (used.size < PALETTE.length) {
      let slot = hash(id) % PALETTE.length;
      while (used.has(slot)) slot = (slot + 1) % PALETTE.length;
      used.add(slot);
      colors.set(id, PALETTE[slot]);
    } else if (i - PALETTE.length < EXTRA.length) {
      colors.set(id, EXTRA[i - PALETTE.length]);
    } else {
      colors.set(id, freeHue((hash(id) + i * GOLDEN_ANGLE) % 360, taken));
    }
  });
  return colors;
}
