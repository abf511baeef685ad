"""tracklog.plot: each chart's table (decoded from its Parquet file) and meta, the classifier
charts against scikit-learn and W&B's own functions (where installed), and bad arguments."""

from __future__ import annotations

import io
import math
from typing import Any

import numpy as np
import pyarrow.parquet as pq
import pytest

import tracklog
from tracklog import InvalidTypeError, InvalidValueError, Table
from tracklog.sdk.media import Plot
from tracklog.store.records import MediaItem


def stored(plot: Plot) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """The rows of the plot's table and the plot's meta."""
    [item] = plot.to_items("chart", "", 3, 10)
    assert isinstance(item, MediaItem) and (item.kind, item.ext) == ("plot", "parquet")
    return pq.read_table(io.BytesIO(item.data)).to_pylist(), item.meta


def scores(samples: int = 300, classes: int = 3, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    y_true = rng.integers(0, classes, samples)
    probas = rng.random((samples, classes)) + np.eye(classes)[y_true] * 0.5
    # Rounded, so many samples share a score: ties are where curves go wrong.
    return y_true, np.round(probas / probas.sum(axis=1, keepdims=True), 2)


def test_custom_charts_name_their_columns() -> None:
    table = Table(
        columns=["step", "value", "series", "name"], data=[[0, 1.0, "a", "x"], [1, 0.5, "b", "y"]]
    )
    rows, meta = stored(tracklog.plot.line(table, "step", "value", stroke="series", title="L"))
    assert rows[1] == {"step": 1, "value": 0.5, "series": "b", "name": "y"}
    assert meta["plot"] == "line" and meta["title"] == "L"
    assert meta["fields"] == {"x": "step", "y": "value", "stroke": "series"}
    assert meta["rows"] == 2 and meta["columns"][0] == {"name": "step", "type": "int"}
    assert stored(tracklog.plot.line(table, "step", "value"))[1]["fields"] == {
        "x": "step",
        "y": "value",
    }
    assert stored(tracklog.plot.scatter(table, "step", "value"))[1]["plot"] == "scatter"
    _, meta = stored(tracklog.plot.bar(table, "name", "value", title="B"))
    assert meta["fields"] == {"label": "name", "value": "value"} and meta["plot"] == "bar"
    _, meta = stored(tracklog.plot.histogram(table, "value"))
    assert meta["fields"] == {"value": "value"} and meta["title"] is None


def test_a_plot_keeps_the_rows_its_table_had() -> None:
    table = Table(columns=["x", "y"], data=[[0, 0.0]])
    plot = tracklog.plot.scatter(table, "x", "y")
    table.add_data(1, 1.0)
    assert stored(plot)[0] == [{"x": 0, "y": 0.0}]


@pytest.mark.parametrize(
    ("make", "error", "message"),
    [
        (
            lambda t: tracklog.plot.line(t, "nope", "y"),
            InvalidValueError,
            r"plot.line: x='nope' is not a column; the columns are \['x', 'y', 's'\]",
        ),
        (
            lambda t: tracklog.plot.line(t, "x", "y", stroke="gone"),
            InvalidValueError,
            "stroke='gone' is not a column",
        ),
        (
            lambda t: tracklog.plot.scatter(t, "x", "s"),
            InvalidValueError,
            "y='s' is a column of str values, not numbers",
        ),
        (lambda t: tracklog.plot.bar(t, "s", "s"), InvalidValueError, "value='s' is a column"),
        (lambda t: tracklog.plot.histogram(t, "s"), InvalidValueError, "value='s' is a column"),
        (
            lambda t: tracklog.plot.line([[1, 2]], "x", "y"),
            InvalidTypeError,
            "table is a tracklog.Table, got list",
        ),
        (lambda t: tracklog.plot.line(t, "x", "y", title=5), InvalidTypeError, "title is a str"),
    ],
)
def test_bad_custom_charts_are_refused(make: Any, error: type[Exception], message: str) -> None:
    table = Table(columns=["x", "y", "s"], data=[[1, 2.0, "a"]])
    with pytest.raises(error, match=message):
        make(table)


def test_line_series_with_shared_and_own_xs() -> None:
    rows, meta = stored(
        tracklog.plot.line_series([0, 1, 2], [[1, 2, 3], [4, 5, 6]], title="T", xname="epoch")
    )
    assert [r["lineKey"] for r in rows] == ["line_0"] * 3 + ["line_1"] * 3
    assert [r["step"] for r in rows] == [0, 1, 2, 0, 1, 2]
    assert [r["lineVal"] for r in rows] == [1, 2, 3, 4, 5, 6]
    assert meta["axes"] == {"x": "epoch"} and meta["plot"] == "line_series"
    assert meta["fields"] == {"step": "step", "lineKey": "lineKey", "lineVal": "lineVal"}
    rows, _ = stored(tracklog.plot.line_series([[0, 1], [5]], [[1.5, 2.5], [9]], keys=["a", "b"]))
    assert rows == [
        {"step": 0, "lineKey": "a", "lineVal": 1.5},
        {"step": 1, "lineKey": "a", "lineVal": 2.5},
        {"step": 5, "lineKey": "b", "lineVal": 9},
    ]


@pytest.mark.parametrize(
    ("args", "kwargs", "message"),
    [
        (([0, 1], [[1, 2], [3]]), {}, "line 1 has 2 x values and 1 y values"),
        (([[0, 1]], [[1, 2], [3, 4]]), {}, "1 x sequences for 2 y sequences"),
        (([0, 1], [[1, 2]]), {"keys": ["a", "b"]}, "2 keys for 1 lines"),
        (([0, 1], [["a", "b"]]), {}, r"ys\[0\] holds numbers only"),
        (([0, 1], [[[1], [2]]]), {}, r"ys\[0\] is a sequence of numbers, got shape \(2, 1\)"),
    ],
)
def test_bad_line_series_are_refused(args: Any, kwargs: Any, message: str) -> None:
    with pytest.raises(InvalidValueError, match=message):
        tracklog.plot.line_series(*args, **kwargs)
    with pytest.raises(InvalidTypeError, match="ys is a sequence of sequences"):
        tracklog.plot.line_series([1], "ys")


def test_confusion_matrix_counts_and_names() -> None:
    rows, meta = stored(
        tracklog.plot.confusion_matrix(
            y_true=[0, 0, 1, 2, 2, 2], preds=[0, 1, 1, 2, 0, 2], class_names=["a", "b", "c"]
        )
    )
    counts = {(r["Actual"], r["Predicted"]): r["nPredictions"] for r in rows}
    assert counts == {
        ("a", "a"): 1,
        ("a", "b"): 1,
        ("a", "c"): 0,
        ("b", "a"): 0,
        ("b", "b"): 1,
        ("b", "c"): 0,
        ("c", "a"): 1,
        ("c", "b"): 0,
        ("c", "c"): 2,
    }
    assert meta["plot"] == "confusion_matrix" and meta["title"] == "Confusion Matrix Curve"
    # Without class names: the labels seen, sorted, named Class_1...; probs give the argmax.
    rows, _ = stored(
        tracklog.plot.confusion_matrix(
            probs=[[0.9, 0.1], [0.2, 0.8], [0.3, 0.7]], y_true=[10, 20, 10], title="C"
        )
    )
    # The labels are 0 and 1 (the argmax) and 10 and 20: four classes, 16 cells.
    assert len(rows) == 16
    assert {(r["Actual"], r["Predicted"]) for r in rows if r["nPredictions"]} == {
        ("Class_3", "Class_1"),
        ("Class_4", "Class_2"),
        ("Class_3", "Class_2"),
    }


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"probs": [[1.0]], "preds": [0], "y_true": [0]}, "give probs or preds, not both"),
        ({"y_true": [0]}, r"y_true and preds \(or probs\) are needed"),
        ({"y_true": [0, 1], "preds": [0]}, "2 true labels for 1 predictions"),
        (
            {"y_true": [0, 3], "preds": [0, 1], "class_names": ["a", "b"]},
            "y_true holds 3, not a class index below 2",
        ),
        ({"y_true": [0, 1], "preds": ["a", 1], "class_names": ["a", "b"]}, "preds holds 'a'"),
        ({"probs": [0.1, 0.9], "y_true": [0, 1]}, "probs has one row of class scores"),
        ({"y_true": [[0]], "preds": [0]}, "y_true is a sequence of class labels"),
    ],
)
def test_bad_confusion_matrices_are_refused(kwargs: Any, message: str) -> None:
    with pytest.raises(InvalidValueError, match=message):
        tracklog.plot.confusion_matrix(**kwargs)


def test_roc_curve_matches_scikit_learn() -> None:
    metrics = pytest.importorskip("sklearn.metrics")
    y_true, probas = scores()
    rows, meta = stored(tracklog.plot.roc_curve(y_true, probas, labels=["a", "b", "c"]))
    assert meta["fields"] == {"x": "fpr", "y": "tpr", "class": "class"}
    assert meta["title"] == "ROC Curve"
    for index, name in enumerate(["a", "b", "c"]):
        fpr, tpr, _ = metrics.roc_curve(y_true, probas[:, index], pos_label=index)
        mine = [r for r in rows if r["class"] == name]
        assert [r["fpr"] for r in mine] == np.round(fpr, 3).tolist()
        assert [r["tpr"] for r in mine] == np.round(tpr, 3).tolist()


def test_pr_curve_follows_scikit_learn_interpolated_as_w_and_b() -> None:
    metrics = pytest.importorskip("sklearn.metrics")
    y_true, probas = scores(seed=1)
    rows, meta = stored(tracklog.plot.pr_curve(y_true, probas, classes_to_plot=[2]))
    assert {r["class"] for r in rows} == {2} and len(rows) == 21
    assert meta["fields"] == {"x": "recall", "y": "precision", "class": "class"}
    precision, recall, _ = metrics.precision_recall_curve(y_true, probas[:, 2], pos_label=2)
    for row in rows:
        # The best precision at this recall or more.
        best = max(p for p, r in zip(precision, recall, strict=True) if r >= row["recall"])
        assert row["precision"] == round(best, 3)


@pytest.mark.parametrize("chart", ["pr_curve", "roc_curve"])
def test_curves_equal_w_and_b_own(chart: str) -> None:
    wandb_plot = pytest.importorskip("wandb.plot")
    y_true, probas = scores(seed=2)
    theirs = getattr(wandb_plot, chart)(y_true, probas, labels=["x", "y", "z"])
    rows, _ = stored(getattr(tracklog.plot, chart)(y_true, probas, labels=["x", "y", "z"]))
    assert rows == [
        dict(zip(theirs.table.columns, map(_plain, r), strict=True)) for r in theirs.table.data
    ]


def test_confusion_matrix_equals_w_and_b_own() -> None:
    wandb_plot = pytest.importorskip("wandb.plot")
    y_true, probas = scores(seed=3)
    theirs = wandb_plot.confusion_matrix(
        probs=probas, y_true=y_true.tolist(), class_names=["x", "y", "z"]
    )
    rows, _ = stored(
        tracklog.plot.confusion_matrix(probs=probas, y_true=y_true, class_names=["x", "y", "z"])
    )
    assert rows == [
        dict(zip(theirs.table.columns, map(_plain, r), strict=True)) for r in theirs.table.data
    ]


def _plain(value: Any) -> Any:
    return value.item() if hasattr(value, "item") else value


def test_string_classes_and_absent_classes() -> None:
    y_true = np.array(["cat", "dog", "cat", "dog"])
    probas = np.array([[0.8, 0.2], [0.3, 0.7], [0.6, 0.4], [0.1, 0.9]])
    rows, _ = stored(tracklog.plot.roc_curve(y_true, probas))
    assert {r["class"] for r in rows} == {"cat", "dog"}
    # Class 1 never occurs: with integer classes, the column of a class is the class.
    y_true = np.array([0, 2, 0, 2])
    probas = np.array([[0.7, 0.1, 0.2], [0.1, 0.1, 0.8], [0.5, 0.3, 0.2], [0.3, 0.0, 0.7]])
    rows, _ = stored(tracklog.plot.roc_curve(y_true, probas, labels=["a", "b", "c"]))
    class_c = [(r["fpr"], r["tpr"]) for r in rows if r["class"] == "c"]
    assert class_c == [(0.0, 0.0), (0.0, 0.5), (0.0, 1.0), (1.0, 1.0)]
    # One class only: no negatives, so the false positive rate is undefined (NaN).
    rows, _ = stored(tracklog.plot.roc_curve([1, 1], [[0.2, 0.8], [0.4, 0.6]]))
    assert all(math.isnan(r["fpr"]) for r in rows)


@pytest.mark.parametrize(
    ("args", "kwargs", "message"),
    [
        (([0, 1], [0.1, 0.9]), {}, r"y_probas has one row of class scores per sample \(2\)"),
        (([0, 1], [[0.1, 0.9]]), {}, r"per sample \(2\), got shape \(1, 2\)"),
        (([0, 1, 2], [[1, 0]] * 3), {}, "y_probas has 2 columns for the 3 classes"),
        (
            ([0, 2], [[1, 0, 0]] * 2),
            {"labels": ["a"]},
            "labels names 1 classes; y_true holds class 2",
        ),
        (([0, 1], [["a", "b"]] * 2), {}, "y_probas holds numbers only"),
    ],
)
def test_bad_curves_are_refused(args: Any, kwargs: Any, message: str) -> None:
    for chart in (tracklog.plot.pr_curve, tracklog.plot.roc_curve):
        with pytest.raises(InvalidValueError, match=message):
            chart(*args, **kwargs)
    with pytest.raises(InvalidValueError, match="interp_size is 2 or more"):
        tracklog.plot.pr_curve([0, 1], [[1, 0], [0, 1]], interp_size=1)
