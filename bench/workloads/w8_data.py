"""The W8 big series, shared by tracklog's and MLflow's UI workloads (numpy only)."""

from __future__ import annotations

import numpy as np

SPIKE = 1000.0


def big_signal(points: int) -> np.ndarray:
    """A slow sine with noise and one injected spike of :data:`SPIKE` two thirds in."""
    rng = np.random.default_rng(8)
    values = np.sin(np.arange(points) / 5000.0) + rng.normal(0, 0.05, points)
    values[points * 2 // 3 + 17] = SPIKE
    return values
