"""Min/max-preserving downsampling, so a chart of a million points keeps every spike."""

from __future__ import annotations

from itertools import pairwise

import numpy as np


def minmax_indices(values: np.ndarray, samples: int) -> np.ndarray:
    """Indices of at most ``samples`` points: the first, the last, and the minimum and maximum
    of each of ``samples // 2 - 1`` equal buckets in between, in index order. NaN and
    infinities count as extremes (an infinite spike is kept, a NaN bucket keeps its NaN)."""
    n = len(values)
    if samples < 4:
        raise ValueError(f"samples must be at least 4, got {samples}")
    if n <= samples:
        return np.arange(n)
    buckets = max(1, samples // 2 - 1)
    edges = np.linspace(1, n - 1, buckets + 1).astype(np.int64)
    # Rank NaN lowest for the min and highest for the max so NaN points stay visible.
    low = np.where(np.isnan(values), -np.inf, values)
    high = np.where(np.isnan(values), np.inf, values)
    keep = [np.array([0, n - 1])]
    for lo, hi in pairwise(edges.tolist()):
        if hi > lo:
            keep.append(np.array([lo + np.argmin(low[lo:hi]), lo + np.argmax(high[lo:hi])]))
    return np.unique(np.concatenate(keep))
