"""Min/max-preserving downsampling, so a chart of a million points keeps every spike."""

from __future__ import annotations

import math

import numpy as np


def minmax_indices(values: np.ndarray, samples: int) -> np.ndarray:
    """Indices of at most ``samples`` points: the first, the last, and the minimum and maximum
    of each of about ``samples // 2 - 1`` equal buckets in between, in index order. NaN and
    infinities count as extremes (an infinite spike is kept, a NaN bucket keeps its NaN)."""
    n = len(values)
    if samples < 4:
        raise ValueError(f"samples must be at least 4, got {samples}")
    if n <= samples:
        return np.arange(n)
    inner = n - 2
    size = math.ceil(inner / max(1, samples // 2 - 1))
    full = inner // size
    # Rank NaN lowest for the min and highest for the max so NaN points stay visible.
    nan = np.isnan(values)
    low = np.where(nan, -np.inf, values)
    high = np.where(nan, np.inf, values)
    starts = 1 + np.arange(full) * size
    keep = [
        np.array([0, n - 1]),
        starts + low[1 : 1 + full * size].reshape(full, size).argmin(axis=1),
        starts + high[1 : 1 + full * size].reshape(full, size).argmax(axis=1),
    ]
    rest = 1 + full * size
    if rest < n - 1:  # the last, shorter bucket
        keep.append(
            np.array([rest + low[rest : n - 1].argmin(), rest + high[rest : n - 1].argmax()])
        )
    return np.unique(np.concatenate(keep))


def window(
    steps: np.ndarray,
    values: np.ndarray,
    times: np.ndarray,
    samples: int | None = None,
    min_step: int | None = None,
    max_step: int | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The points of a series with ``min_step <= step <= max_step`` (either bound optional),
    downsampled to ``samples`` points by :func:`minmax_indices` when given."""
    if min_step is not None or max_step is not None:
        lo = -(2**63) if min_step is None else min_step
        hi = 2**63 - 1 if max_step is None else max_step
        keep = (steps >= lo) & (steps <= hi)
        steps, values, times = steps[keep], values[keep], times[keep]
    if samples is not None:
        keep = minmax_indices(values, samples)
        steps, values, times = steps[keep], values[keep], times[keep]
    return steps, values, times
