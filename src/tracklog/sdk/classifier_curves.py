"""The numbers of a classifier's charts, with numpy: a confusion matrix, precision-recall and
ROC curves of one class against the rest (the curves as scikit-learn computes them)."""

from __future__ import annotations

import numpy as np


def _counts_at_thresholds(positive: np.ndarray, scores: np.ndarray) -> tuple[np.ndarray, ...]:
    """False and true positives when each distinct score, highest first, is the threshold."""
    order = np.argsort(scores, kind="mergesort")[::-1]
    scores, positive = scores[order], positive[order]
    last = np.r_[np.flatnonzero(np.diff(scores)), scores.size - 1]
    tps = np.cumsum(positive, dtype=np.float64)[last]
    return 1 + last - tps, tps


def roc(positive: np.ndarray, scores: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """False and true positive rates from (0, 0) up, without the points on a straight stretch
    (scikit-learn's ``roc_curve`` with ``drop_intermediate``); NaN where a class is absent."""
    fps, tps = _counts_at_thresholds(positive, scores)
    if fps.size > 2:
        kept = np.flatnonzero(np.r_[True, np.logical_or(np.diff(fps, 2), np.diff(tps, 2)), True])
        fps, tps = fps[kept], tps[kept]
    fps, tps = np.r_[0.0, fps], np.r_[0.0, tps]
    with np.errstate(invalid="ignore", divide="ignore"):
        fpr = fps / fps[-1] if fps[-1] > 0 else np.full(fps.shape, np.nan)
        tpr = tps / tps[-1] if tps[-1] > 0 else np.full(tps.shape, np.nan)
    return fpr, tpr


def precision_recall(positive: np.ndarray, scores: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Precision and recall, recall decreasing to 0 (scikit-learn's
    ``precision_recall_curve``)."""
    fps, tps = _counts_at_thresholds(positive, scores)
    precision = tps / (tps + fps)
    recall = tps / tps[-1] if tps[-1] > 0 else np.ones(tps.shape)
    return np.r_[precision[::-1], 1.0], np.r_[recall[::-1], 0.0]


def interpolated_precision(
    positive: np.ndarray, scores: np.ndarray, recall_points: np.ndarray
) -> np.ndarray:
    """The best precision at a recall of at least each of ``recall_points`` (W&B's chart)."""
    precision, recall = precision_recall(positive, scores)
    best = np.maximum.accumulate(precision)[::-1]
    return best[np.searchsorted(recall[::-1], recall_points, side="left")]


def confusion_counts(actual: np.ndarray, predicted: np.ndarray, classes: int) -> np.ndarray:
    """``counts[i, j]``: how many of class ``i`` were predicted as ``j`` (class indices)."""
    counts = np.zeros((classes, classes), dtype=np.int64)
    np.add.at(counts, (actual, predicted), 1)
    return counts
