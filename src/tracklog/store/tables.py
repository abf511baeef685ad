"""Sort, filter and page a stored table (a Parquet file) column-wise with pyarrow.compute, so
a table of millions of rows is answered without a Python object per row.

The filter grammar is :mod:`tracklog.store.table_filter`'s. Sorting puts NaN and then null last
in either direction and text in code-point order; ties keep the table's order. Only the sort
and filter columns are read whole; the others only in the row groups of the page. pyarrow loads
on the first query, not with this module.
"""

from __future__ import annotations

import itertools
import json
import os
from collections.abc import Sequence
from dataclasses import dataclass
from typing import IO, Any

from tracklog.errors import InvalidTypeError, InvalidValueError
from tracklog.store.table_filter import matching, parse_filter

# The table file's schema metadata key: JSON of {"columns": [{"name", "type"}], "cells":
# {column: {row: media metadata}}}, as the SDK's Table writes it.
PARQUET_META_KEY = b"tracklog"
MAX_LIMIT = 1000
# Select the page's rows rather than sort them all when the table has this many times more.
SELECT_RATIO = 16


@dataclass(frozen=True)
class TablePage:
    """One page of a table query.

    ``columns`` are ``{"name", "type"}`` (type int, float, bool, str, null, mixed or a media
    kind, whose cells are file content names); ``rows`` the page's cells as JSON-able lists
    (NaN stays a float NaN); ``row_ids`` each page row's 0-based row in the stored table;
    ``total`` how many rows match the filter; ``cells`` the metadata of the page's media cells
    (caption, size, ...) as ``{column: {row id: meta}}``.
    """

    columns: list[dict[str, str]]
    rows: list[list[Any]]
    row_ids: list[int]
    total: int
    cells: dict[str, dict[int, Any]]


def _described(schema: Any) -> tuple[list[dict[str, str]], dict[str, dict[str, Any]]]:
    """The columns and media cell metadata a table file records, or (for a Parquet file of
    other origin) the columns its schema implies."""
    import pyarrow as pa

    stored = (schema.metadata or {}).get(PARQUET_META_KEY)
    if stored is not None:
        meta = json.loads(stored)
        return meta["columns"], meta.get("cells", {})
    kinds = (
        ("bool", pa.types.is_boolean),
        ("int", pa.types.is_integer),
        ("float", pa.types.is_floating),
        ("str", lambda t: pa.types.is_string(t) or pa.types.is_large_string(t)),
        ("null", pa.types.is_null),
    )
    columns = []
    for field in schema:
        kind = next((k for k, test in kinds if test(field.type)), str(field.type))
        columns.append({"name": field.name, "type": kind})
    return columns, {}


def _checked(
    names: list[str], order_by: Sequence[tuple[str, bool]], offset: int, limit: int
) -> None:
    if not isinstance(limit, int) or isinstance(limit, bool) or not 0 <= limit <= MAX_LIMIT:
        raise InvalidValueError(f"table query: limit is 0 to {MAX_LIMIT}, got {limit!r}")
    if not isinstance(offset, int) or isinstance(offset, bool) or offset < 0:
        raise InvalidValueError(f"table query: offset is 0 or more, got {offset!r}")
    for entry in order_by:
        if (
            not isinstance(entry, (tuple, list))
            or len(entry) != 2
            or not isinstance(entry[1], bool)
        ):
            raise InvalidTypeError(
                f"table query: order_by takes (column, descending) pairs, got {entry!r}"
            )
        _known(names, entry[0])


def _known(names: list[str], name: str) -> None:
    if name not in names:
        raise InvalidValueError(f"table query: no column named {name!r}; the columns are {names}")


def query_table(
    source: str | os.PathLike[str] | IO[bytes],
    *,
    order_by: Sequence[tuple[str, bool]] = (),
    filter: str | None = None,
    offset: int = 0,
    limit: int = 100,
) -> TablePage:
    """A page of the table in the Parquet file ``source`` (a path or a binary file object):
    the rows matching ``filter``, sorted by ``order_by`` (``(column, descending)`` pairs, the
    first deciding), ``limit`` (at most 1000) rows from ``offset``."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.parquet as pq

    if isinstance(source, (str, os.PathLike)):
        source = os.fspath(source)
    try:
        file = pq.ParquetFile(source)
    except (pa.ArrowInvalid, OSError) as exc:
        raise InvalidValueError(f"table query: not a readable table file ({exc})") from exc
    schema = file.schema_arrow
    names = list(schema.names)
    _checked(names, order_by, offset, limit)
    if filter is not None and not isinstance(filter, str):
        raise InvalidTypeError(f"table query: filter is text, got {type(filter).__name__}")
    conditions = parse_filter(filter) if filter and filter.strip() else []
    for condition in conditions:
        _known(names, condition.column)
    keys = list(dict.fromkeys([c.column for c in conditions] + [name for name, _ in order_by]))
    key_table = file.read(columns=keys)
    ids = pa.array(np.arange(file.metadata.num_rows, dtype=np.int64))
    matched = key_table
    if conditions:
        holds = matching(key_table, conditions)
        ids = ids.filter(holds)
        matched = key_table.filter(holds)
    page_ids = _page_ids(matched, ids, order_by, offset, limit)
    columns, cell_meta = _described(schema)
    rows = _page_rows(file, names, page_ids, key_table)
    cells = {
        column: {int(i): meta[str(i)] for i in page_ids if str(i) in meta}
        for column, meta in cell_meta.items()
    }
    mixed = [j for j, c in enumerate(columns) if c["type"] == "mixed"]
    for row in rows:
        for j in mixed:
            row[j] = None if row[j] is None else json.loads(row[j])
    return TablePage(
        columns, rows, page_ids.tolist(), len(ids), {c: m for c, m in cells.items() if m}
    )


def _page_ids(
    keys: Any, ids: Any, order_by: Sequence[tuple[str, bool]], offset: int, limit: int
) -> Any:
    """The rows (numpy ids) of the page: ``keys`` and ``ids`` are the matching rows' sort
    columns and ids, in table order."""
    import pyarrow.compute as pc

    wanted = offset + limit
    if not order_by or not limit or offset >= len(ids):
        return ids[offset:wanted].to_numpy()
    sort_keys = [(name, "descending" if down else "ascending") for name, down in order_by]
    if wanted * SELECT_RATIO > len(ids):
        order = pc.sort_indices(keys, sort_keys=sort_keys)[offset:wanted]
        return ids.take(order).to_numpy()
    # A few rows of many: select them rather than sort all. The row id as the last key makes
    # the order total, so the page is the one a stable sort gives.
    row = next(f"__row{i}" for i in itertools.count() if f"__row{i}" not in keys.column_names)
    with_ids = keys.append_column(row, ids)
    chosen = pc.select_k_unstable(with_ids, k=wanted, sort_keys=[*sort_keys, (row, "ascending")])
    return ids.take(chosen[offset:]).to_numpy()


def _page_rows(file: Any, names: list[str], page_ids: Any, keys: Any) -> list[list[Any]]:
    """The cells of rows ``page_ids`` (in that order): those of the columns in ``keys`` (read
    whole already) from there, the others read from the page's row groups only."""
    import numpy as np
    import pyarrow as pa

    if not len(page_ids):
        return []
    taken = pa.array(page_ids)
    cells = {name: keys.column(name).take(taken) for name in keys.column_names}
    rest = [name for name in names if name not in cells]
    if rest:
        sizes = [file.metadata.row_group(g).num_rows for g in range(file.num_row_groups)]
        starts = np.cumsum([0, *sizes])
        group_of = np.searchsorted(starts, page_ids, side="right") - 1
        groups = np.unique(group_of)
        part = file.read_row_groups(groups.tolist(), columns=rest)
        # A row's place in ``part``: its place in its group after the rows of the groups before.
        before = np.cumsum([0, *(starts[groups + 1] - starts[groups])])
        local = page_ids - starts[group_of] + before[np.searchsorted(groups, group_of)]
        picked = part.take(pa.array(local))
        cells.update((name, picked.column(name)) for name in rest)
    listed = [cells[name].to_pylist() for name in names]
    return [list(row) for row in zip(*listed, strict=True)]
