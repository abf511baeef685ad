"""A table's columns as one Parquet file, its media cells as further files (on the writer
thread).

A media cell holds the content name of its file, which travels as an
:class:`~tracklog.store.records.Attachment`; the cell's own metadata (caption, size, ...) is
kept in the file's schema metadata, as :mod:`tracklog.store.tables` reads it. A ``mixed``
column holds each cell as JSON text, a media cell there as ``{"kind": ..., "file": ...}``.
"""

from __future__ import annotations

import io
from typing import Any

from tracklog.errors import InvalidValueError
from tracklog.sdk.media.base import Media
from tracklog.sdk.media.table_columns import Column
from tracklog.store import json_output, validation
from tracklog.store.media_names import content_name
from tracklog.store.records import Attachment, MediaItem
from tracklog.store.tables import PARQUET_META_KEY

_ARROW_TYPES = ("int", "float", "bool", "str", "null")
# Rows per row group: a query reads a page's rows by the groups they are in, so a sorted page
# of a 10M-row table (rows from all over) reads 1.2 s with groups of 32k rows, 2.7 s with 128k.
_ROW_GROUP = 32 * 1024


class _Encoder:
    """Encodes one table's columns, gathering the files of its media cells."""

    def __init__(self, key: str, context: str, step: int, time_ms: int) -> None:
        self.where = (key, context, step, time_ms)
        self.files: dict[str, Attachment] = {}

    def media(self, cell: Media, column: str, row: int) -> tuple[MediaItem, str]:
        """Encode a media cell, its files joining the table's: the item and its file's name."""
        items = cell.to_items(*self.where)
        if len(items) != 1 or not isinstance(items[0], MediaItem):
            raise InvalidValueError(
                f"Table: row {row}, column {column!r}: a {type(cell).__name__} is not one media "
                "file and cannot be a cell"
            )
        item = items[0]
        name = content_name(item.data, item.ext)
        self.files.setdefault(name, Attachment(item.data, item.ext))
        for part in item.attachments:
            self.files.setdefault(content_name(part.data, part.ext), part)
        return item, name

    def media_column(self, column: Column) -> tuple[str, list[str | None], dict[str, Any]]:
        """The kind, cell file names and per-row metadata of a media column."""
        kind = "null"  # until a cell says which media it holds
        names: list[str | None] = []
        meta: dict[str, Any] = {}
        for row, cell in enumerate(column.values):
            if cell is None:
                names.append(None)
                continue
            item, name = self.media(cell, column.name, row)
            kind = item.kind
            names.append(name)
            if item.meta:
                meta[str(row)] = item.meta
        return kind, names, meta

    def mixed_cell(self, cell: Any, column: str, row: int) -> str | None:
        if cell is None:
            return None
        if isinstance(cell, Media):
            item, name = self.media(cell, column, row)
            cell = {"kind": item.kind, "file": name}
        return json_output.wire_text(cell)


def _arrow_type(pa: Any, kind: str) -> Any:
    return {
        "int": pa.int64(),
        "float": pa.float64(),
        "bool": pa.bool_(),
        "str": pa.string(),
        "null": pa.null(),
    }[kind]


def _arrow_array(pa: Any, values: Any, kind: str) -> Any:
    try:
        return pa.array(values, type=_arrow_type(pa, kind))
    except (pa.ArrowInvalid, OverflowError):
        if kind != "float":
            raise
        # pyarrow reads a Python int as an int64 even for a float column: beyond that range,
        # make it a float first (the column's check found every int within a float's range).
        return pa.array([float(v) if isinstance(v, int) else v for v in values], pa.float64())


def encode_table(
    columns: list[Column], rows: int, key: str, context: str, step: int, time_ms: int
) -> MediaItem:
    """The first ``rows`` rows of ``columns`` as one "table" MediaItem (Parquet)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    encoder = _Encoder(key, context, step, time_ms)
    arrays = []
    described: list[dict[str, str]] = []
    cell_meta: dict[str, dict[str, Any]] = {}
    for column in columns:
        values = column.values[:rows]
        if isinstance(column.type, str) and column.type in _ARROW_TYPES:
            kind = column.type
            arrays.append(_arrow_array(pa, values, kind))
        elif column.type == "mixed":
            kind = "mixed"
            cells = [encoder.mixed_cell(c, column.name, i) for i, c in enumerate(values)]
            arrays.append(pa.array(cells, type=pa.string()))
        else:
            kind, names, meta = encoder.media_column(Column(column.name, column.type, values))
            arrays.append(pa.array(names, type=pa.string()))
            if meta:
                cell_meta[column.name] = meta
        described.append({"name": column.name, "type": kind})
    schema_meta = {"columns": described, "cells": cell_meta}
    table = pa.table(arrays, names=[c.name for c in columns]).replace_schema_metadata(
        {PARQUET_META_KEY: json_output.dumps(schema_meta)}
    )
    sink = io.BytesIO()
    pq.write_table(table, sink, compression="zstd", row_group_size=_ROW_GROUP)
    data = sink.getvalue()
    if len(data) > validation.MAX_MEDIA_BYTES:
        raise InvalidValueError(
            f"{key}: a table of {len(data):,} bytes is over the limit of "
            f"{validation.MAX_MEDIA_BYTES:,} bytes per media file"
        )
    meta = {"columns": described, "rows": rows}
    return MediaItem(
        key, context, step, time_ms, "table", data, "parquet", meta, tuple(encoder.files.values())
    )
