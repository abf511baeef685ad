"""tracklog.Table: W&B's semantics, the copy at construction, every refused input naming its
row and column, and the Parquet file it encodes to (decoded back to the same data)."""

from __future__ import annotations

import io
import json
import math
import subprocess
import sys
from typing import Any

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest

import tracklog
from tracklog import Html, InvalidTypeError, InvalidValueError, NotFoundError, Table, Text
from tracklog.sdk.media import Media, Plot
from tracklog.store.media_names import content_name
from tracklog.store.records import HistogramItem, MediaItem
from tracklog.store.tables import PARQUET_META_KEY


def encoded(table: Table) -> MediaItem:
    [item] = table.to_items("samples", "", 7, 1000)
    assert isinstance(item, MediaItem)
    return item


def decoded(item: MediaItem) -> tuple[dict[str, list[Any]], dict[str, Any]]:
    """The columns of the item's Parquet file and its tracklog schema metadata."""
    stored = pq.read_table(io.BytesIO(item.data))
    return stored.to_pydict(), json.loads(stored.schema.metadata[PARQUET_META_KEY])


def test_rows_round_trip_through_parquet() -> None:
    rows = [[1, 0.5, "a", True], [2, None, "b", False], [None, math.inf, None, None]]
    table = Table(columns=["i", "f", "s", "b"], data=rows)
    item = encoded(table)
    assert (item.key, item.step, item.time_ms, item.kind, item.ext) == (
        "samples",
        7,
        1000,
        "table",
        "parquet",
    )
    columns, meta = decoded(item)
    assert columns == {
        "i": [1, 2, None],
        "f": [0.5, None, math.inf],
        "s": ["a", "b", None],
        "b": [True, False, None],
    }
    described = [
        {"name": "i", "type": "int"},
        {"name": "f", "type": "float"},
        {"name": "s", "type": "str"},
        {"name": "b", "type": "bool"},
    ]
    assert item.meta == {"columns": described, "rows": 3}
    assert meta["columns"] == described
    assert table.data == rows
    assert table.columns == ["i", "f", "s", "b"]


def test_dataframe_round_trip_keeps_dtypes_nan_and_missing() -> None:
    frame = pd.DataFrame(
        {
            "i": np.arange(5, dtype=np.int32),
            "u": np.arange(5, dtype=np.uint64),
            "f": [0.0, np.nan, 2.5, -np.inf, 4.0],
            "b": [True, False, True, True, False],
            "s": ["x", None, "z", "é", ""],
            "n": pd.array([1, None, 3, 4, 5], dtype="Int64"),
        }
    )
    table = Table(dataframe=frame)
    columns, meta = decoded(encoded(table))
    assert columns["i"] == [0, 1, 2, 3, 4]
    assert columns["u"] == [0, 1, 2, 3, 4]
    assert columns["f"][0] == 0.0 and math.isnan(columns["f"][1]) and columns["f"][3] == -math.inf
    assert columns["s"] == ["x", None, "z", "é", ""]
    assert columns["n"] == [1, None, 3, 4, 5]
    assert [c["type"] for c in meta["columns"]] == ["int", "int", "float", "bool", "str", "int"]
    back = table.get_dataframe()
    assert list(back.columns) == list(frame.columns)
    assert back["f"].isna().tolist() == [False, True, False, False, False]
    assert back["n"].tolist()[0] == 1 and pd.isna(back["n"].tolist()[1])


def test_data_as_dataframe_or_array_is_taken_as_w_and_b_does() -> None:
    frame = pd.DataFrame({"x": [1, 2], "y": ["a", "b"]})
    assert Table(data=frame).columns == ["x", "y"]
    # With dataframe given, columns is ignored, as in W&B.
    assert Table(columns=["ignored"], dataframe=frame).data == [[1, "a"], [2, "b"]]
    array = np.array([[1.0, 2.0], [3.0, 4.0]])
    table = Table(columns=["a", "b"], data=array)
    assert table.data == [[1.0, 2.0], [3.0, 4.0]]
    assert Table(columns=["s"], data=np.array([["p"], ["q"]])).get_column("s") == ["p", "q"]
    assert Table(columns=["r"], rows=[[1], [2]]).get_column("r") == [1, 2]
    assert Table(columns=["a", "b"], data=[np.array([1, 2]), (3, 4)]).data == [[1, 2], [3, 4]]
    assert Table().columns == ["Input", "Output", "Expected"]


def test_the_table_holds_a_copy() -> None:
    rows = [[1, "a"], [2, "b"]]
    array = np.array([1.0, 2.0])
    frame = pd.DataFrame({"x": [1, 2]})
    table = Table(columns=["n", "s"], data=rows)
    table.add_column("f", array)
    from_frame = Table(dataframe=frame)
    rows[0][0] = 99
    rows.append([3, "c"])
    array[0] = -1.0
    frame.loc[0, "x"] = 42
    assert table.data == [[1, "a", 1.0], [2, "b", 2.0]]
    assert from_frame.get_column("x") == [1, 2]
    # What the table hands out is a copy too.
    table.get_column("n").append(5)
    table.data[0][0] = 7
    table.get_column("f", convert_to="numpy")[0] = 9.0
    assert table.data == [[1, "a", 1.0], [2, "b", 2.0]]


def test_add_data_add_column_get_column() -> None:
    table = Table(columns=["step", "loss"])
    table.add_data(0, 1)
    table.add_data(1, 0.5)  # int and float mix into float
    table.add_data(2, None)
    table.add_column("tag", ["a", "b", None])
    assert table.data == [[0, 1, "a"], [1, 0.5, "b"], [2, None, None]]
    assert table.get_column("step", convert_to="numpy").tolist() == [0, 1, 2]
    assert table.get_column("tag", convert_to="numpy").tolist() == ["a", "b", None]
    columns, meta = decoded(encoded(table))
    assert columns["loss"] == [1.0, 0.5, None]
    assert [c["type"] for c in meta["columns"]] == ["int", "float", "str"]
    assert len(table) == 3
    frame = table.get_dataframe()
    assert [str(t) for t in frame.dtypes] == ["int64", "float64", "object"]
    assert frame["loss"].isna().tolist() == [False, False, True]
    first = Table(columns=[])
    first.add_column("x", np.arange(3))
    first.add_column("y", [True, False, None])
    assert first.data == [[0, True], [1, False], [2, None]]


def test_a_column_of_none_takes_the_type_of_its_first_value() -> None:
    table = Table(columns=["maybe"], data=[[None], [None]])
    assert decoded(encoded(table))[1]["columns"] == [{"name": "maybe", "type": "null"}]
    table.add_data("now text")
    with pytest.raises(InvalidTypeError, match=r"row 3, column 'maybe' holds str values"):
        table.add_data(5)
    assert decoded(encoded(table))[0] == {"maybe": [None, None, "now text"]}


def test_numpy_scalars_are_cells() -> None:
    table = Table(
        columns=["i", "f", "b", "s"],
        data=[[np.int64(3), np.float32(0.5), np.bool_(True), np.str_("x")]],
    )
    assert decoded(encoded(table))[0] == {"i": [3], "f": [0.5], "b": [True], "s": ["x"]}


def test_media_cells_are_files_referred_to_by_content_name() -> None:
    table = Table(columns=["id", "note"])
    table.add_data(1, Text("first"))
    table.add_data(2, None)
    table.add_data(3, Text("first"))  # the same bytes: one file
    table.add_data(4, Text("second"))
    table.add_column("page", [Html("<b>1</b>"), Html("<b>2</b>"), None, None])
    item = encoded(table)
    columns, meta = decoded(item)
    first, second = content_name(b"first", "txt"), content_name(b"second", "txt")
    assert columns["note"] == [first, None, first, second]
    assert columns["page"] == [
        content_name(b"<b>1</b>", "html"),
        content_name(b"<b>2</b>", "html"),
        None,
        None,
    ]
    assert [c["type"] for c in item.meta["columns"]] == ["int", "text", "html"]
    files = {content_name(a.data, a.ext): a.data for a in item.attachments}
    assert len(item.attachments) == 4
    assert files[first] == b"first" and files[second] == b"second"
    assert meta["cells"] == {}  # Text and Html carry no metadata of their own
    assert isinstance(table.get_column("note")[0], Text)


def test_mixed_types_when_allowed_are_json_text() -> None:
    table = Table(columns=["any"], data=[[1], ["two"], [None], [Text("t")]], allow_mixed_types=True)
    table.add_data(2.5)
    columns, meta = decoded(encoded(table))
    name = content_name(b"t", "txt")
    assert columns["any"] == [
        "1",
        '"two"',
        None,
        json.dumps({"kind": "text", "file": name}, separators=(",", ":")),
        "2.5",
    ]
    assert meta["columns"] == [{"name": "any", "type": "mixed"}]


@pytest.mark.parametrize(
    ("rows", "error", "message"),
    [
        ([[1], ["a"]], InvalidTypeError, r"row 1, column 'c' holds int values; got a str"),
        ([[True], [1]], InvalidTypeError, r"row 1, column 'c' holds bool values; got a int"),
        ([["a"], [Text("t")]], InvalidTypeError, r"row 1, column 'c' holds str values"),
        (
            [[None], [Text("t")], [Html("h")]],
            InvalidTypeError,
            r"row 2, column 'c' holds Text values; got a Html",
        ),
        ([[1], [b"raw"]], InvalidTypeError, r"row 1, column 'c': a bytes cannot be a cell"),
        ([[[1, 2]]], InvalidTypeError, r"row 0, column 'c': a list cannot be a cell"),
        ([[{"a": 1}]], InvalidTypeError, r"row 0, column 'c': a dict cannot be a cell"),
        ([[1], [2**63]], InvalidValueError, r"row 1, column 'c': 9223372036854775808 is beyond"),
        ([[0.5], [2**63]], None, ""),  # beyond int64 but a float column holds it
        (
            [[0.5], [None], [10**400]],
            InvalidValueError,
            r"row 2, column 'c': an integer of 401 digits is beyond the range of a 64-bit float",
        ),
        ([[1], [2, 3]], InvalidValueError, r"row 1 has 2 cells; the table has 1"),
        ([[1], 5], InvalidTypeError, r"row 1 is a int, not a list of 1 cells"),
        ([[1], "ab"], InvalidTypeError, r"row 1 is a str"),
        ([np.array([1]), np.array(2)], InvalidTypeError, r"row 1 is a ndarray, not a list"),
    ],
)
def test_bad_rows_are_refused_naming_row_and_column(
    rows: list[Any], error: type[Exception] | None, message: str
) -> None:
    if error is None:
        assert decoded(encoded(Table(columns=["c"], data=rows)))[0] == {"c": [0.5, 2.0**63]}
        return
    with pytest.raises(error, match=message):
        Table(columns=["c"], data=rows)


def test_a_refused_row_leaves_the_table_as_it_was() -> None:
    table = Table(columns=["a", "b"], data=[[1, "x"]])
    with pytest.raises(InvalidTypeError, match=r"row 1, column 'b' holds str values"):
        table.add_data(2, 3)
    with pytest.raises(InvalidValueError, match=r"one cell per column \(2"):
        table.add_data(1)
    assert table.data == [[1, "x"]]
    assert decoded(encoded(table))[0] == {"a": [1], "b": ["x"]}


@pytest.mark.parametrize(
    ("make", "error", "message"),
    [
        (lambda: Table(columns="abc"), InvalidTypeError, "columns is a list of names"),
        (lambda: Table(columns=["a", "a"]), InvalidValueError, "a column named 'a' already"),
        (lambda: Table(columns=[1]), InvalidTypeError, "a column name is a str, got 1"),
        (lambda: Table(columns=[""]), InvalidValueError, "1 to 250 characters"),
        (lambda: Table(columns=["x" * 251]), InvalidValueError, "1 to 250 characters"),
        (lambda: Table(columns=["a"], data={"a": 1}), InvalidTypeError, "data is a list of rows"),
        (lambda: Table(columns=["a"], data=[[1]], rows=[[1]]), InvalidValueError, "not both"),
        (lambda: Table(dataframe=[[1]]), InvalidTypeError, "dataframe takes a pandas DataFrame"),
        (
            lambda: Table(columns=["a"], data=np.zeros((2, 2))),
            InvalidValueError,
            r"shape \(rows, 1\) for 1 columns, got \(2, 2\)",
        ),
        (lambda: Table(columns=["a"], data=np.zeros(3)), InvalidValueError, r"got \(3,\)"),
        (
            lambda: Table(columns=["a"], data=np.array([[2**64 - 1]], dtype=np.uint64)),
            InvalidValueError,
            "row 0, column 'a': 18446744073709551615 is beyond",
        ),
        (
            lambda: Table(dataframe=pd.DataFrame({"t": pd.to_datetime(["2024-01-01"])})),
            InvalidTypeError,
            "row 0, column 't': a Timestamp cannot be a cell",
        ),
        (
            lambda: Table(dataframe=pd.DataFrame([[1, 2]])),
            InvalidTypeError,
            "a column name is a str, got 0",
        ),
        (
            lambda: Table(dataframe=pd.DataFrame({"o": [1, "x"]})),
            InvalidTypeError,
            "row 1, column 'o' holds int values",
        ),
    ],
)
def test_bad_tables_are_refused(make: Any, error: type[Exception], message: str) -> None:
    with pytest.raises(error, match=message):
        make()


def test_bad_columns_and_lookups_are_refused() -> None:
    table = Table(columns=["a"], data=[[1], [2]])
    with pytest.raises(InvalidValueError, match=r"column 'b' has 3 cells; the table has 2 rows"):
        table.add_column("b", [1, 2, 3])
    with pytest.raises(InvalidValueError, match="a column named 'a' already"):
        table.add_column("a", [1, 2])
    with pytest.raises(InvalidTypeError, match="takes a list or a numpy array, got dict"):
        table.add_column("c", {1: 2})
    with pytest.raises(InvalidValueError, match=r"1-D array, got shape \(2, 1\)"):
        table.add_column("c", np.zeros((2, 1)))
    with pytest.raises(InvalidTypeError, match=r"row 1, column 'c' holds int values"):
        table.add_column("c", [1, "x"])
    with pytest.raises(NotFoundError, match=r"no column named 'zz'; the columns are \['a'\]"):
        table.get_column("zz")
    with pytest.raises(InvalidValueError, match="convert_to is None or 'numpy'"):
        table.get_column("a", convert_to="list")
    assert table.columns == ["a"]


def test_rows_added_after_logging_wait_for_the_next_log() -> None:
    # The writer encodes what the table holds when it gets to it; a snapshot taken for a log
    # never sees a half-added row.
    table = Table(columns=["a", "b"], data=[[1, "x"]])
    columns, rows = table.snapshot()
    table.add_data(2, "y")
    table.add_column("c", [True, False])
    assert rows == 1 and [c.name for c in columns] == ["a", "b"]


def test_a_large_table_is_encoded_whole() -> None:
    rows = 250_000  # beyond W&B's cap of 200k rows: there is no cap here
    frame = pd.DataFrame({"i": np.arange(rows), "s": [f"r{i % 97}" for i in range(rows)]})
    item = encoded(Table(dataframe=frame))
    assert item.meta["rows"] == rows
    stored = pq.read_table(io.BytesIO(item.data))
    assert stored.num_rows == rows
    assert stored.column("i").to_pylist()[-3:] == [rows - 3, rows - 2, rows - 1]


def test_making_a_table_loads_no_pyarrow() -> None:
    code = (
        "import sys, tracklog; tracklog.Table(columns=['a'], data=[[1]]); "
        "print(' '.join(m for m in ('pyarrow', 'pandas', 'PIL') if m in sys.modules))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == ""
    assert tracklog.Table is Table


class Spread(Media):
    """A media value that is no file (a histogram): it cannot be a cell."""

    def to_items(
        self, key: str, context: str, step: int, time_ms: int
    ) -> list[MediaItem | HistogramItem]:
        edges, counts = np.array([0.0, 1.0]), np.array([3.0])
        return [HistogramItem(key, context, step, time_ms, edges, counts)]


def test_a_media_cell_that_is_no_file_is_refused_when_encoded() -> None:
    table = Table(columns=["h"], data=[[None], [Spread()]])
    with pytest.raises(InvalidValueError, match=r"row 1, column 'h': a Spread is not one media"):
        table.to_items("k", "", 0, 0)
    assert isinstance(table, Media) and issubclass(Plot, Media)
