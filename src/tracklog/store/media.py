"""The media index and histogram rows of runs (SQL): written in one transaction per batch,
read back by key in step order. The media files themselves are the artifact store's."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from sqlalchemy import Connection, Select, Table, func, insert, literal, select, union_all

from tracklog.store import json_output, schema, stored_json
from tracklog.store.records import HistogramItem, MediaItem, MediaKey, MediaRecord

_M, _H = schema.run_media, schema.run_histograms
MEDIA_DIR = "media"


def insert_rows(conn: Connection, run_id: str, rows: Sequence[tuple[MediaItem, str, int]]) -> None:
    """Index rows of checked items whose files are stored at ``path`` with ``size`` bytes."""
    values = [
        {
            "run_id": run_id,
            "key": it.key,
            "context": it.context,
            "step": it.step,
            "time_ms": it.time_ms,
            "kind": it.kind,
            "path": path,
            "size": size,
            "meta": json_output.dumps(it.meta),
        }
        for it, path, size in rows
    ]
    if values:
        conn.execute(insert(_M), values)


def insert_histograms(conn: Connection, run_id: str, items: Sequence[HistogramItem]) -> None:
    """Rows of ``items`` (checked already), arrays as little-endian float64 bytes."""
    rows = [
        {
            "run_id": run_id,
            "key": it.key,
            "context": it.context,
            "step": it.step,
            "time_ms": it.time_ms,
            "edges": np.asarray(it.edges, "<f8").tobytes(),
            "counts": np.asarray(it.counts, "<f8").tobytes(),
        }
        for it in items
    ]
    if rows:
        conn.execute(insert(_H), rows)


def read_media(
    conn: Connection, run_id: str, key: str | None, context: str | None
) -> list[MediaRecord]:
    """The run's media records (of ``key`` and ``context`` where given) by key, context, step
    and arrival."""
    return [
        MediaRecord(*_placed(r), r.kind, r.path, r.size, stored_json.loads(r.meta))
        for r in conn.execute(_selected(_M, run_id, key, context))
    ]


def read_histograms(
    conn: Connection, run_id: str, key: str | None, context: str | None
) -> list[HistogramItem]:
    """The run's histograms (of ``key`` and in ``context`` where given) by key, context, step
    and arrival."""
    return [
        HistogramItem(
            *_placed(r),
            np.frombuffer(r.edges, "<f8").astype(np.float64),
            np.frombuffer(r.counts, "<f8").astype(np.float64),
        )
        for r in conn.execute(_selected(_H, run_id, key, context))
    ]


def _placed(row: Any) -> tuple[str, str, int, int]:
    """A row's key, context, step and time, the fields every record starts with."""
    return row.key, row.context, row.step, row.time_ms


def _selected(table: Table, run_id: str, key: str | None, context: str | None) -> Select[Any]:
    """The rows of ``table`` of one run (of ``key`` and ``context`` where given) in the order
    of its index: key, context, step, then arrival."""
    stmt = select(table).where(table.c.run_id == run_id)
    if key is not None:
        stmt = stmt.where(table.c.key == key)
    if context is not None:
        stmt = stmt.where(table.c.context == context)
    return stmt.order_by(table.c.key, table.c.context, table.c.step, table.c.id)


def read_keys(conn: Connection, run_id: str) -> list[MediaKey]:
    """Each (key, context, kind) of the run's media and histograms (kind "histogram") with its
    number of values and last step, by key, context and kind."""
    media = (
        select(_M.c.key, _M.c.context, _M.c.kind, func.count(), func.max(_M.c.step))
        .where(_M.c.run_id == run_id)
        .group_by(_M.c.key, _M.c.context, _M.c.kind)
    )
    histograms = (
        select(_H.c.key, _H.c.context, literal("histogram"), func.count(), func.max(_H.c.step))
        .where(_H.c.run_id == run_id)
        .group_by(_H.c.key, _H.c.context)
    )
    both = union_all(media, histograms).subquery()
    stmt = select(*both.c).order_by(*list(both.c)[:3])
    return [MediaKey(*row) for row in conn.execute(stmt)]
