"""``add_pr_curve``'s record: counts, precision and recall at evenly spaced thresholds,
computed as TensorBoard's ``pr_curves`` plugin does."""

from __future__ import annotations

from typing import Any

import numpy as np

from tracklog.errors import InvalidTypeError, InvalidValueError
from tracklog.sdk.media.arrays import shape_text
from tracklog.tensorboard.arrays import numbers

MAX_THRESHOLDS = 10_000
_MINIMUM_COUNT = 1e-7  # TensorBoard's floor of the denominators


def pr_curve(
    labels: Any, predictions: Any, num_thresholds: int, weights: Any, what: str
) -> dict[str, list[float]]:
    """The curve of binary ``labels`` against ``predictions`` in [0, 1]."""
    if isinstance(num_thresholds, bool) or not isinstance(num_thresholds, int):
        raise InvalidTypeError(f"{what}: num_thresholds must be an integer")
    if not 2 <= num_thresholds <= MAX_THRESHOLDS:
        raise InvalidValueError(
            f"{what}: num_thresholds must be in 2..{MAX_THRESHOLDS}, got {num_thresholds}"
        )
    truth = numbers(labels, f"{what} labels").astype(np.float64).ravel()
    scores = numbers(predictions, f"{what} predictions").astype(np.float64).ravel()
    if truth.shape != scores.shape:
        raise InvalidValueError(
            f"{what}: {truth.size} labels but {scores.size} predictions; one label a prediction"
        )
    if scores.size and not (np.all(scores >= 0) and np.all(scores <= 1)):
        raise InvalidValueError(f"{what}: predictions must lie in [0, 1] (NaN is refused)")
    weight = 1.0 if weights is None else numbers(weights, f"{what} weights").astype(np.float64)
    if not isinstance(weight, float) and weight.size not in (1, truth.size):
        raise InvalidValueError(
            f"{what}: weights of shape {shape_text(weight.shape)} for {truth.size} predictions"
        )
    if not isinstance(weight, float):
        weight = weight.ravel()
    buckets = np.floor(scores * (num_thresholds - 1)).astype(np.int64)
    span = (0, num_thresholds - 1)
    tp_b, _ = np.histogram(buckets, bins=num_thresholds, range=span, weights=truth * weight)
    fp_b, _ = np.histogram(buckets, bins=num_thresholds, range=span, weights=(1 - truth) * weight)
    tp = np.cumsum(tp_b[::-1])[::-1]
    fp = np.cumsum(fp_b[::-1])[::-1]
    tn = fp[0] - fp
    fn = tp[0] - tp
    return {
        "thresholds": np.linspace(0, 1, num_thresholds).tolist(),
        "true_positives": tp.tolist(),
        "false_positives": fp.tolist(),
        "true_negatives": tn.tolist(),
        "false_negatives": fn.tolist(),
        "precision": (tp / np.maximum(_MINIMUM_COUNT, tp + fp)).tolist(),
        "recall": (tp / np.maximum(_MINIMUM_COUNT, tp + fn)).tolist(),
    }
