// Histograms over steps as a TensorBoard-style distribution: each step's counts spread onto
// one common grid of values, so that a heatmap (step × value, counts as colour) shows them.

/** `bins` equal bins from the lowest to the highest edge of `hists` ([{step, edges,
 * counts}]): {steps, centers, z}, z[bin][step index] the count falling in that bin, each
 * source bin's count split in proportion to its overlap (a zero-width bin counts wholly
 * where it lies). */
export function distribution(hists, bins = 64) {
  const sorted = [...hists].sort((a, b) => a.step - b.step);
  const lo = Math.min(...sorted.map((h) => h.edges[0]));
  const hi = Math.max(...sorted.map((h) => h.edges[h.edges.length - 1]));
  const width = hi > lo ? (hi - lo) / bins : 1;
  const n = hi > lo ? bins : 1;
  const z = Array.from({ length: n }, () => new Array(sorted.length).fill(0));
  const binOf = (v) => Math.min(n - 1, Math.max(0, Math.floor((v - lo) / width)));
  sorted.forEach((h, s) => {
    h.counts.forEach((count, i) => {
      const [a, b] = [h.edges[i], h.edges[i + 1]];
      if (!count) return;
      if (b <= a) { z[binOf(a)][s] += count; return; }
      for (let k = binOf(a); k <= binOf(b) && k < n; k += 1) {
        const overlap = Math.min(b, lo + (k + 1) * width) - Math.max(a, lo + k * width);
        if (overlap > 0) z[k][s] += (count * overlap) / (b - a);
      }
    });
  });
  const centers = Array.from({ length: n }, (_, k) => (hi > lo ? lo + (k + 0.5) * width : lo));
  return { steps: sorted.map((h) => h.step), centers, z };
}
