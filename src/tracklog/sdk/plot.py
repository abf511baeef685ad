"""``tracklog.plot``: charts to log, with W&B's ``wandb.plot`` functions and arguments.

Each function returns a :class:`~tracklog.sdk.media.plot.Plot`, logged like any value::

    run.log({"roc": tracklog.plot.roc_curve(y_true, y_probas, labels=["cat", "dog"])})

The chart's data is a table, stored as Parquet, so it can be read back or re-drawn. The
classifier charts are computed with numpy; no row cap applies.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from tracklog.errors import InvalidTypeError, InvalidValueError
from tracklog.sdk import classifier_curves
from tracklog.sdk.media.plot import Plot
from tracklog.sdk.media.table import Table

__all__ = [
    "Plot",
    "bar",
    "confusion_matrix",
    "histogram",
    "line",
    "line_series",
    "pr_curve",
    "roc_curve",
    "scatter",
]


def line(table: Table, x: str, y: str, stroke: str | None = None, title: str | None = None) -> Plot:
    """Lines of column ``y`` over column ``x``, one line per value of column ``stroke``."""
    fields = {"x": x, "y": y, "stroke": stroke}
    return Plot(table, "line", fields, title, numeric=("x", "y"))


def scatter(table: Table, x: str, y: str, title: str | None = None) -> Plot:
    """A point per row: column ``x`` across, column ``y`` up."""
    return Plot(table, "scatter", {"x": x, "y": y}, title, numeric=("x", "y"))


def bar(table: Table, label: str, value: str, title: str | None = None) -> Plot:
    """A bar per row: its ``label`` column names it, its ``value`` column is its length."""
    return Plot(table, "bar", {"label": label, "value": value}, title, numeric=("value",))


def histogram(table: Table, value: str, title: str | None = None) -> Plot:
    """The distribution of column ``value``, binned when drawn."""
    return Plot(table, "histogram", {"value": value}, title, numeric=("value",))


def _numbers(values: Any, what: str, ndim: int = 1) -> np.ndarray:
    try:
        array = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise InvalidValueError(f"{what} holds numbers only ({exc})") from exc
    if ndim == 1 and array.ndim != 1:
        raise InvalidValueError(f"{what} is a sequence of numbers, got shape {array.shape}")
    return array


def line_series(
    xs: Sequence[Any],
    ys: Sequence[Sequence[Any]],
    keys: Sequence[str] | None = None,
    title: str | None = None,
    xname: str | None = None,
) -> Plot:
    """Several lines on one chart: ``ys[i]`` over ``xs`` (one sequence for all) or ``xs[i]``;
    ``keys[i]`` names line ``i`` (``line_0``, ``line_1``, ... without keys); ``xname`` titles
    the x axis. The table's columns are ``step``, ``lineKey`` and ``lineVal``, as W&B's."""
    if isinstance(ys, (str, bytes)) or not isinstance(ys, (Sequence, np.ndarray)):
        raise InvalidTypeError("plot.line_series: ys is a sequence of sequences of numbers")
    count = len(ys)
    shared = len(xs) == 0 or np.ndim(xs[0]) == 0
    all_xs = [xs] * count if shared else list(xs)
    if len(all_xs) != count:
        raise InvalidValueError(
            f"plot.line_series: {len(all_xs)} x sequences for {count} y sequences"
        )
    names = [f"line_{i}" for i in range(count)] if keys is None else list(keys)
    if len(names) != count:
        raise InvalidValueError(f"plot.line_series: {len(names)} keys for {count} lines")
    steps, values = [], []
    for i, (x, y) in enumerate(zip(all_xs, ys, strict=True)):
        steps.append(_numbers(x, f"plot.line_series: xs[{i}]" if not shared else "xs"))
        values.append(_numbers(y, f"plot.line_series: ys[{i}]"))
        if len(steps[-1]) != len(values[-1]):
            raise InvalidValueError(
                f"plot.line_series: line {i} has {len(steps[-1])} x values and "
                f"{len(values[-1])} y values"
            )
    table = Table(columns=[])
    table.add_column("step", np.concatenate(steps) if steps else np.zeros(0))
    table.add_column(
        "lineKey", [name for name, v in zip(names, values, strict=True) for _ in range(len(v))]
    )
    table.add_column("lineVal", np.concatenate(values) if values else np.zeros(0))
    fields = {"step": "step", "lineKey": "lineKey", "lineVal": "lineVal"}
    return Plot(table, "line_series", fields, title, axes={"x": xname or "x"})


def _labels(values: Any, what: str) -> np.ndarray:
    array = np.asarray(values)
    if array.ndim != 1:
        raise InvalidValueError(f"{what} is a sequence of class labels, got shape {array.shape}")
    return array


def confusion_matrix(
    probs: Sequence[Sequence[float]] | None = None,
    y_true: Sequence[Any] | None = None,
    preds: Sequence[Any] | None = None,
    class_names: Sequence[str] | None = None,
    title: str | None = None,
) -> Plot:
    """How often each true class (``y_true``) was predicted as each class (``preds``, or the
    most probable class of each row of ``probs``). With ``class_names`` the labels are class
    indices into it; without, the labels seen, in sorted order, named ``Class_1``, ... ."""
    if probs is not None and preds is not None:
        raise InvalidValueError("plot.confusion_matrix: give probs or preds, not both")
    if probs is not None:
        scores = _numbers(probs, "plot.confusion_matrix: probs", ndim=2)
        if scores.ndim != 2:
            raise InvalidValueError(
                f"plot.confusion_matrix: probs has one row of class scores per sample, got "
                f"shape {scores.shape}"
            )
        preds = np.argmax(scores, axis=1)
    if y_true is None or preds is None:
        raise InvalidValueError("plot.confusion_matrix: y_true and preds (or probs) are needed")
    actual = _labels(y_true, "plot.confusion_matrix: y_true")
    predicted = _labels(preds, "plot.confusion_matrix: preds")
    if len(actual) != len(predicted):
        raise InvalidValueError(
            f"plot.confusion_matrix: {len(actual)} true labels for {len(predicted)} predictions"
        )
    if class_names is not None:
        names = [str(name) for name in class_names]
        for what, labels in (("y_true", actual), ("preds", predicted)):
            wrong = [
                v for v in labels.tolist() if not isinstance(v, int) or not 0 <= v < len(names)
            ]
            if wrong:
                raise InvalidValueError(
                    f"plot.confusion_matrix: {what} holds {wrong[0]!r}, not a class index "
                    f"below {len(names)} (the number of class_names)"
                )
        actual_i, predicted_i = actual.astype(np.int64), predicted.astype(np.int64)
    else:
        try:
            seen, index = np.unique(np.concatenate([actual, predicted]), return_inverse=True)
        except TypeError as exc:
            raise InvalidValueError(
                f"plot.confusion_matrix: labels of one kind are needed ({exc})"
            ) from exc
        names = [f"Class_{i + 1}" for i in range(len(seen))]
        actual_i, predicted_i = index[: len(actual)], index[len(actual) :]
    counts = classifier_curves.confusion_counts(actual_i, predicted_i, len(names))
    table = Table(columns=[])
    table.add_column("Actual", [name for name in names for _ in names])
    table.add_column("Predicted", names * len(names))
    table.add_column("nPredictions", counts.ravel())
    fields = {"Actual": "Actual", "Predicted": "Predicted", "nPredictions": "nPredictions"}
    return Plot(table, "confusion_matrix", fields, title or "Confusion Matrix Curve")


def _class_scores(
    y_true: Any, y_probas: Any, labels: Sequence[str] | None, classes_to_plot: Any, what: str
) -> list[tuple[Any, np.ndarray, np.ndarray]]:
    """``(name, positive, scores)`` of each class to plot: the class's name (from ``labels``
    where the classes are indices), whether each sample is of it, and its column of
    ``y_probas`` (column ``i`` is the ``i``-th class of ``y_true`` in sorted order, as in
    W&B; where fewer classes occur than columns, the column of an integer class is the
    class)."""
    actual = _labels(y_true, f"plot.{what}: y_true")
    scores = _numbers(y_probas, f"plot.{what}: y_probas", ndim=2)
    if scores.ndim != 2 or scores.shape[0] != len(actual):
        raise InvalidValueError(
            f"plot.{what}: y_probas has one row of class scores per sample ({len(actual)}), "
            f"got shape {scores.shape}"
        )
    classes = np.unique(actual)
    integer = classes.dtype.kind in "iu"
    if scores.shape[1] == len(classes):
        columns = list(range(len(classes)))
    elif integer and classes.min() >= 0 and classes.max() < scores.shape[1]:
        columns = classes.tolist()
    else:
        raise InvalidValueError(
            f"plot.{what}: y_probas has {scores.shape[1]} columns for the {len(classes)} "
            "classes of y_true"
        )
    if labels is not None and integer and (classes.min() < 0 or classes.max() >= len(labels)):
        raise InvalidValueError(
            f"plot.{what}: labels names {len(labels)} classes; y_true holds class "
            f"{classes.max() if classes.max() >= len(labels) else classes.min()}"
        )
    wanted = classes if classes_to_plot is None else np.asarray(classes_to_plot)
    picked = []
    for cls, column in zip(classes.tolist(), columns, strict=True):
        if not np.isin(cls, wanted):
            continue
        name = labels[cls] if labels is not None and integer else cls
        picked.append((name, actual == cls, scores[:, column]))
    return picked


def _class_curves(
    chart: str,
    args: tuple[Any, Any, Sequence[str] | None, Any],
    curve: Callable[[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]],
    columns: tuple[str, str],
    axes: dict[str, str],
    title: str,
) -> Plot:
    """A chart of one curve per class: ``curve(positive, scores)`` gives the values of the
    table's two ``columns`` (after ``class``); ``axes`` names the x and y columns and their
    titles (keys ``x``, ``y``, ``x_title``, ``y_title``)."""
    curves = [
        (name, *curve(positive, scores)) for name, positive, scores in _class_scores(*args, chart)
    ]
    table = Table(columns=[])
    table.add_column("class", [name for name, xs, _ in curves for _point in xs])
    # Rounded to 3 places, as W&B's.
    for j, column in enumerate(columns, start=1):
        table.add_column(column, np.round(np.concatenate([c[j] for c in curves] or [[]]), 3))
    fields = {"x": axes["x"], "y": axes["y"], "class": "class"}
    titles = {"x": axes["x_title"], "y": axes["y_title"]}
    return Plot(table, chart, fields, title, axes=titles)


def pr_curve(
    y_true: Sequence[Any],
    y_probas: Sequence[Sequence[float]],
    labels: Sequence[str] | None = None,
    classes_to_plot: Sequence[Any] | None = None,
    title: str | None = None,
    interp_size: int = 21,
) -> Plot:
    """Precision over recall of each class against the rest: at ``interp_size`` recall points
    from 1 to 0, the best precision at that recall or more (as W&B draws it)."""
    if not isinstance(interp_size, int) or interp_size < 2:
        raise InvalidValueError(f"plot.pr_curve: interp_size is 2 or more, got {interp_size!r}")
    recall = np.linspace(0, 1, interp_size)[::-1]
    return _class_curves(
        "pr_curve",
        (y_true, y_probas, labels, classes_to_plot),
        lambda positive, scores: (
            classifier_curves.interpolated_precision(positive, scores, recall),
            recall,
        ),
        ("precision", "recall"),
        {"x": "recall", "y": "precision", "x_title": "Recall", "y_title": "Precision"},
        title or "Precision-Recall Curve",
    )


def roc_curve(
    y_true: Sequence[Any],
    y_probas: Sequence[Sequence[float]],
    labels: Sequence[str] | None = None,
    classes_to_plot: Sequence[Any] | None = None,
    title: str | None = None,
) -> Plot:
    """The ROC curve (true over false positive rate) of each class against the rest."""
    return _class_curves(
        "roc_curve",
        (y_true, y_probas, labels, classes_to_plot),
        classifier_curves.roc,
        ("fpr", "tpr"),
        {"x": "fpr", "y": "tpr", "x_title": "False positive rate", "y_title": "True positive rate"},
        title or "ROC Curve",
    )
