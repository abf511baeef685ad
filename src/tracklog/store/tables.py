"""Sort, filter and page a stored table (a Parquet file) column-wise with pyarrow.compute, so
a table of millions of rows is answered without a Python object per row.

The filter grammar is :mod:`tracklog.store.table_filter`'s. Sorting puts NaN and then null last
in either direction and text in code-point order; ties keep the table's order. Only the sort
and filter columns are read whole; the others only in the row groups of the page. pyarrow loads
on the first query, not with this module.
"""

from __future__ import annotations

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
    import pyarrow.compute as pc
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
    conditions = parse_filter(filter) if filter and filter.strip() else []
    for condition in conditions:
        _known(names, condition.column)
    keys = list(dict.fromkeys([c.column for c in conditions] + [name for name, _ in order_by]))
    key_table = file.read(columns=keys) if keys else None
    ids = pa.array(np.arange(file.metadata.num_rows, dtype=np.int64))
    if conditions:
        assert key_table is not None
        holds = matching(key_table, conditions)
        ids = ids.filter(holds)
        key_table = key_table.filter(holds)
    total = len(ids)
    if order_by:
        assert key_table is not None
        order = pc.sort_indices(
            key_table,
            sort_keys=[(name, "descending" if down else "ascending") for name, down in order_by],
        )
        page_ids = ids.take(order[offset : offset + limit]).to_numpy()
    else:
        page_ids = ids[offset : offset + limit].to_numpy()
    columns, cell_meta = _described(schema)
    rows = _page_rows(file, names, page_ids)
    cells = {
        column: {int(i): meta[str(i)] for i in page_ids if str(i) in meta}
        for column, meta in cell_meta.items()
    }
    mixed = [j for j, c in enumerate(columns) if c["type"] == "mixed"]
    for row in rows:
        for j in mixed:
            row[j] = None if row[j] is None else json.loads(row[j])
    return TablePage(columns, rows, page_ids.tolist(), total, {c: m for c, m in cells.items() if m})


def _page_rows(file: Any, names: list[str], page_ids: Any) -> list[list[Any]]:
    """The cells of rows ``page_ids`` (in that order), read from their row groups only."""
    import numpy as np
    import pyarrow as pa

    if not len(page_ids):
        return []
    starts = np.cumsum(
        [0] + [file.metadata.row_group(g).num_rows for g in range(file.num_row_groups)]
    )
    groups = sorted(set((np.searchsorted(starts, page_ids, side="right") - 1).tolist()))
    part = file.read_row_groups(groups, columns=names)
    # A row's place in ``part``: its place in its group plus the rows of the groups read before.
    before = np.cumsum([0] + [starts[g + 1] - starts[g] for g in groups])
    group_of = np.searchsorted(starts, page_ids, side="right") - 1
    local = page_ids - starts[group_of] + before[np.searchsorted(groups, group_of)]
    picked = part.take(pa.array(local))
    return [list(row) for row in zip(*(picked.column(n).to_pylist() for n in names), strict=True)]
