"""query_table over a table's Parquet file, as the SDK's Table writes it: sorting (NaN and
null last, text in code-point order, ties in table order), the filter grammar, paging, media
cell metadata, and every refused query; checked against a plain-Python reference."""

from __future__ import annotations

import functools
import io
import math
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import given
from hypothesis import strategies as st

from tracklog import FilterSyntaxError, InvalidTypeError, InvalidValueError, Table, Text
from tracklog.sdk.media.base import Media
from tracklog.store.media_names import content_name
from tracklog.store.records import HistogramItem, MediaItem
from tracklog.store.tables import MAX_LIMIT, TablePage, query_table

NAN = math.nan


def table_file(table: Table) -> bytes:
    [item] = table.to_items("t", "", 0, 0)
    assert isinstance(item, MediaItem)
    return item.data


ROWS = [
    [0, 2.5, "banana", True],
    [1, NAN, "Apple", False],
    [2, None, "apple", None],
    [3, -1.0, None, True],
    [4, 2.5, "cherry", False],
    [5, 10.0, "Banana split", True],
]
SAMPLE = table_file(Table(columns=["id", "score", "name", "ok"], data=ROWS))


def query(**kwargs: Any) -> TablePage:
    return query_table(io.BytesIO(SAMPLE), **kwargs)


def ids(**kwargs: Any) -> list[int]:
    return [row[0] for row in query(**kwargs).rows]


def test_a_page_without_sort_or_filter_is_the_table_in_order(tmp_path: Path) -> None:
    path = tmp_path / "t.parquet"
    path.write_bytes(SAMPLE)
    for source in (path, str(path), io.BytesIO(SAMPLE), path.open("rb")):
        page = query_table(source)
        assert page.total == 6 and page.row_ids == [0, 1, 2, 3, 4, 5]
        assert page.columns == [
            {"name": "id", "type": "int"},
            {"name": "score", "type": "float"},
            {"name": "name", "type": "str"},
            {"name": "ok", "type": "bool"},
        ]
        assert page.rows[0] == [0, 2.5, "banana", True]
        assert math.isnan(page.rows[1][1]) and page.rows[2][1:] == [None, "apple", None]


def test_sorting_puts_nan_then_null_last_either_way_and_keeps_ties_in_order() -> None:
    assert ids(order_by=[("score", False)]) == [3, 0, 4, 5, 1, 2]
    assert ids(order_by=[("score", True)]) == [5, 0, 4, 3, 1, 2]
    assert ids(order_by=[("score", True), ("id", True)]) == [5, 4, 0, 3, 1, 2]
    # Text sorts in code-point order: capitals first.
    assert ids(order_by=[("name", False)]) == [1, 5, 2, 0, 4, 3]
    assert ids(order_by=[("name", True)]) == [4, 0, 2, 5, 1, 3]
    assert ids(order_by=[("ok", False), ("id", True)]) == [4, 1, 5, 3, 0, 2]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("id = 3", [3]),
        ("id == 3", [3]),
        ("id != 3", [0, 1, 2, 4, 5]),
        ("id < 2", [0, 1]),
        ("id <= 2", [0, 1, 2]),
        ("id > 3", [4, 5]),
        ("id >= 3.5", [4, 5]),
        ("score = 2.5", [0, 4]),
        ("score > 0", [0, 4, 5]),  # NaN and null are not greater than anything
        ("score != 2.5", [1, 3, 5]),  # a null cell is not unequal either; NaN is
        ("score = null", [2]),
        ("score != null", [0, 1, 3, 4, 5]),
        ("name = 'apple'", [2]),
        ('name = "Apple"', [1]),
        ("name > 'b'", [0, 4]),
        ("name contains 'BAN'", [0, 5]),
        ("name CONTAINS 'an' and score >= 2.5", [0, 5]),
        ("name contains 'a' AND ok = true and id < 5", [0]),
        ("ok = false", [1, 4]),
        ("ok != true", [1, 4]),
        ("`name` = 'cherry'", [4]),
        ("name = 'it\\'s'", []),
        ("   ", [0, 1, 2, 3, 4, 5]),
    ],
)
def test_filters(text: str, expected: list[int]) -> None:
    page = query(filter=text)
    assert [row[0] for row in page.rows] == expected
    assert page.total == len(expected)


def test_paging_counts_every_match_and_returns_the_page() -> None:
    page = query(order_by=[("id", True)], filter="id != 0", offset=1, limit=2)
    assert page.total == 5 and page.row_ids == [4, 3] and [r[0] for r in page.rows] == [4, 3]
    assert query(offset=6).rows == [] and query(offset=100).total == 6
    assert query(limit=0).rows == [] and query(limit=0).total == 6


def test_a_page_across_row_groups_of_a_file_of_other_origin(tmp_path: Path) -> None:
    count = 5000
    stored = pa.table(
        {
            "n": list(range(count)),
            "s": [f"v{i % 13}" for i in range(count)],
            "x": [i * 2 for i in range(count)],  # neither sorted nor filtered: read by group
        }
    )
    path = tmp_path / "groups.parquet"
    pq.write_table(stored, path, row_group_size=700)
    page = query_table(path, order_by=[("s", True), ("n", False)], offset=10, limit=50)
    expected = sorted(range(count), key=functools.cmp_to_key(_by_text_desc))[10:60]
    assert page.row_ids == expected
    assert page.rows == [[i, f"v{i % 13}", i * 2] for i in expected]
    # Types from the schema, as tracklog did not write it.
    assert page.columns == [
        {"name": "n", "type": "int"},
        {"name": "s", "type": "str"},
        {"name": "x", "type": "int"},
    ]
    page = query_table(path, filter="n >= 4990", offset=3, limit=5)
    assert page.total == 10 and page.rows == [[i, f"v{i % 13}", i * 2] for i in range(4993, 4998)]


def _by_text_desc(a: int, b: int) -> int:
    """Text descending, then the row ascending."""
    ta, tb = f"v{a % 13}", f"v{b % 13}"
    if ta != tb:
        return -1 if ta > tb else 1
    return a - b


class Captioned(Media):
    """A media value with metadata of its own, as an image's caption."""

    def __init__(self, text: str) -> None:
        self.text = text

    def to_items(
        self, key: str, context: str, step: int, time_ms: int
    ) -> list[MediaItem | HistogramItem]:
        data = self.text.encode()
        return [MediaItem(key, context, step, time_ms, "text", data, "txt", {"caption": "c"})]


def test_media_cells_and_their_metadata_and_mixed_cells() -> None:
    table = Table(columns=["n", "m"], data=[[0, Captioned("a")], [1, None], [2, Captioned("b")]])
    table.add_column("t", [Text("x"), None, Text("y")])
    page = query_table(io.BytesIO(table_file(table)), order_by=[("n", True)], limit=2)
    assert page.columns[1:] == [{"name": "m", "type": "text"}, {"name": "t", "type": "text"}]
    assert page.rows == [
        [2, content_name(b"b", "txt"), content_name(b"y", "txt")],
        [1, None, None],
    ]
    assert page.cells == {"m": {2: {"caption": "c"}}}
    mixed = Table(columns=["v"], data=[[1], ["a"], [None], [2.5]], allow_mixed_types=True)
    page = query_table(io.BytesIO(table_file(mixed)))
    assert page.rows == [[1], ["a"], [None], [2.5]]
    assert page.columns == [{"name": "v", "type": "mixed"}]


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"limit": MAX_LIMIT + 1}, InvalidValueError, "limit is 0 to 1000, got 1001"),
        ({"limit": -1}, InvalidValueError, "limit is 0 to 1000"),
        ({"limit": True}, InvalidValueError, "limit is 0 to 1000"),
        ({"offset": -1}, InvalidValueError, "offset is 0 or more"),
        ({"offset": "1"}, InvalidValueError, "offset is 0 or more"),
        (
            {"order_by": [("nope", False)]},
            InvalidValueError,
            r"no column named 'nope'; the columns are \['id', 'score', 'name', 'ok'\]",
        ),
        ({"order_by": ["id"]}, InvalidTypeError, "order_by takes \\(column, descending\\) pairs"),
        ({"order_by": [("id", "desc")]}, InvalidTypeError, "order_by takes"),
        ({"filter": "nope = 1"}, InvalidValueError, "no column named 'nope'"),
        ({"filter": 5}, InvalidTypeError, "filter is text, got int"),
        (
            {"filter": "id = 'x'"},
            InvalidValueError,
            "column 'id' holds number values; 'x' cannot be compared",
        ),
        ({"filter": "name > 3"}, InvalidValueError, "column 'name' holds text values"),
        ({"filter": "ok = 1"}, InvalidValueError, "column 'ok' holds bool values"),
        ({"filter": "ok < true"}, InvalidValueError, "a bool compares with = or !="),
        ({"filter": "id contains 'x'"}, InvalidValueError, "holds number values"),
        ({"filter": "name contains 3"}, InvalidValueError, "holds text values; 3 cannot"),
        ({"filter": "id < null"}, InvalidValueError, "null compares with = or !="),
        ({"filter": "id = true"}, InvalidValueError, "holds number values; True cannot"),
        ({"filter": f"id = {2**70}"}, InvalidValueError, "id = 1180591620717411303424"),
    ],
)
def test_bad_queries_are_refused(kwargs: Any, error: type[Exception], message: str) -> None:
    with pytest.raises(error, match=message):
        query(**kwargs)


@pytest.mark.parametrize(
    ("text", "message", "position"),
    [
        ("id =", "expected a value", 4),
        ("id", "expected one of =, ==", 2),
        ("id 3", "expected one of =, ==", 3),
        ("id = 3 4", "expected 'and'", 7),
        ("id ~ 3", "unexpected character", 3),
        ("id = 3 or id = 4", "expected 'and' between conditions", 7),
        ("id = 3 and", "expected a column name", 10),
        ("id = 3 id = 4", "expected 'and'", 7),
        ("id is 3", "expected one of =, ==", 3),
        ("id = abc", "expected a value", 5),
        ("3 = id", "expected a column name", 0),
        ("name = 'open", "unexpected character", 7),
        ("`` = 1", "unexpected character", 0),
    ],
)
def test_filter_syntax_errors_point_at_the_token(text: str, message: str, position: int) -> None:
    with pytest.raises(FilterSyntaxError, match=message) as caught:
        query(filter=text)
    assert caught.value.position == position


def test_a_file_that_is_not_a_table_is_refused(tmp_path: Path) -> None:
    with pytest.raises(InvalidValueError, match="not a readable table file"):
        query_table(io.BytesIO(b"not parquet at all"))
    with pytest.raises(InvalidValueError, match="not a readable table file"):
        query_table(tmp_path / "missing.parquet")


# The reference: Python's sort and comparisons over the same rows.
cells = st.tuples(
    st.one_of(st.none(), st.integers(-5, 5)),
    st.one_of(st.none(), st.just(NAN), st.floats(-3, 3, allow_nan=False)),
    st.one_of(st.none(), st.sampled_from(["", "a", "B", "ab", "é", "b"])),
)


def _sort_key(value: Any, descending: bool) -> tuple[int, Any]:
    if value is None:
        return (2, 0)
    if isinstance(value, float) and math.isnan(value):
        return (1, 0)
    if descending:
        return (0, -value) if not isinstance(value, str) else (0, _Reversed(value))
    return (0, value)


@functools.total_ordering
class _Reversed:
    def __init__(self, text: str) -> None:
        self.text = text

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _Reversed) and self.text == other.text

    def __lt__(self, other: _Reversed) -> bool:
        return self.text > other.text


@given(
    rows=st.lists(cells, max_size=40),
    column=st.integers(0, 2),
    descending=st.booleans(),
    threshold=st.integers(-3, 3),
    offset=st.integers(0, 10),
)
def test_sort_filter_and_page_equal_the_python_reference(
    rows: list[tuple[Any, ...]], column: int, descending: bool, threshold: int, offset: int
) -> None:
    table = Table(columns=["i", "f", "s"], data=[list(r) for r in rows])
    name = ["i", "f", "s"][column]
    page = query_table(
        io.BytesIO(table_file(table)),
        order_by=[(name, descending)],
        filter=f"i >= {threshold}",
        offset=offset,
        limit=7,
    )
    matching = [n for n, r in enumerate(rows) if r[0] is not None and r[0] >= threshold]
    ordered = sorted(matching, key=lambda n: _sort_key(rows[n][column], descending))
    assert page.total == len(matching)
    assert page.row_ids == ordered[offset : offset + 7]
    for row, n in zip(page.rows, page.row_ids, strict=True):
        expected = list(rows[n])
        assert [c if c == c else "nan" for c in row] == [c if c == c else "nan" for c in expected]


@pytest.mark.parametrize(("offset", "limit"), [(0, 50), (37, 20), (1900, 100), (0, 1000)])
@pytest.mark.parametrize("descending", [False, True])
def test_small_pages_of_large_tables_equal_a_full_sort(
    offset: int, limit: int, descending: bool
) -> None:
    # A small page of many rows is selected rather than sorted: the same rows must come.
    values: list[Any] = [None, NAN, -1.5, 0.0, 2.0, 7.25]
    rows = [[values[(i * 7) % 6], f"t{i % 5}"] for i in range(2000)]
    data = table_file(Table(columns=["v", "t"], data=rows))
    page = query_table(
        io.BytesIO(data), order_by=[("v", descending), ("t", True)], offset=offset, limit=limit
    )
    ordered = sorted(
        range(len(rows)),
        key=lambda n: (_sort_key(rows[n][0], descending), _sort_key(rows[n][1], True)),
    )
    assert page.row_ids == ordered[offset : offset + limit]
    assert page.total == 2000
