"""Metric series: appending points in chunks, keeping running statistics, reading them back.

Points are appended to the series' *tail chunk* until it holds :data:`CHUNK_POINTS`, then a new
chunk starts, so chunks stay full-sized whether points arrive one per second or a million at
once. Reads return points ordered by step, then by arrival.
"""

from __future__ import annotations

from collections.abc import Sequence
from operator import attrgetter
from typing import Any

import numpy as np
from sqlalchemy import Connection, bindparam, func, insert, select, update

from tracklog.store import schema
from tracklog.store.chunk_tails import TailCache
from tracklog.store.codec import CHUNK_POINTS, decode, encode, raw_sections
from tracklog.store.engine import execute_rows, insert_missing
from tracklog.store.records import SeriesPoints, SeriesStats
from tracklog.store.series_cache import SeriesCache

_S = schema.metric_series
_C = schema.metric_chunks
# The append path's statements, built once (see tracking._INSERT_RUN for why).
_SERIES_OF_RUN = select(_S).where(
    (_S.c.run_id == bindparam("_run_id")) & _S.c.key.in_(bindparam("_keys", expanding=True))
)
_TAIL_CHUNKS = select(_C.c.series_id, _C.c.seq, _C.c.data).where(
    _C.c.series_id.in_(bindparam("_ids", expanding=True)) & (_C.c.n < CHUNK_POINTS)
)
_DELETE_CHUNK = _C.delete().where(
    (_C.c.series_id == bindparam("_sid")) & (_C.c.seq == bindparam("_seq"))
)
_INSERT_CHUNK = insert(_C)
_UPDATE_SERIES = update(_S).where(_S.c.id == bindparam("_id"))
# Decoded tails of this process's last appends (16 MB: about a hundred series with tails
# of a few thousand points, many more with short ones).
_TAILS = TailCache(16 * 1024 * 1024)


# The statistics of a series before its first point (the columns' defaults).
_EMPTY = {
    "count": 0,
    "finite_count": 0,
    "sum": 0.0,
    "min": None,
    "max": None,
    "first": None,
    "max_step": None,
}


def _stats_from_row(row: Any) -> SeriesStats:
    m = row._mapping
    return SeriesStats(**{f: m[f] for f in SeriesStats.__dataclass_fields__})


def _series_rows(conn: Connection, run_id: str, keys: list[tuple[str, str]]) -> dict[Any, Any]:
    """The ``metric_series`` rows of a run's (key, context) pairs that exist, by pair."""
    wanted = set(keys)
    rows = conn.execute(_SERIES_OF_RUN, {"_run_id": run_id, "_keys": list({k for k, _ in keys})})
    return {(r.key, r.context): r._mapping for r in rows if (r.key, r.context) in wanted}


def _merge_duplicates(batch: Sequence[SeriesPoints]) -> dict[tuple[str, str], SeriesPoints]:
    """One SeriesPoints per series: a series named twice in a batch is joined in order."""
    out: dict[tuple[str, str], SeriesPoints] = {}
    for p in batch:
        if not len(p.steps):
            continue
        seen = out.get((p.key, p.context))
        if seen is None:
            out[(p.key, p.context)] = p
        else:
            out[(p.key, p.context)] = SeriesPoints(
                p.key,
                p.context,
                np.concatenate((seen.steps, p.steps)),
                np.concatenate((seen.values, p.values)),
                np.concatenate((seen.timestamps, p.timestamps)),
            )
    return out


def append(conn: Connection, run_id: str, batch: Sequence[SeriesPoints]) -> list[SeriesStats]:
    """Append a batch of points to the run's series (created on first use), in a handful of
    statements whatever the number of series; return the series' new statistics."""
    merged = _merge_duplicates(batch)
    if not merged:
        return []
    keys = list(merged)
    rows = _series_rows(conn, run_id, keys)
    chunks: list[dict[str, Any]] = []
    stats: dict[tuple[str, str], SeriesStats] = {}
    missing = [k for k in keys if k not in rows]
    if missing:
        # A new series is inserted with its statistics and chunk count; only its chunks follow.
        new = {k: _merged_stats(_EMPTY, merged[k]) for k in missing}
        new_rows = [
            {
                "run_id": run_id,
                "key": k,
                "context": c,
                "chunk_count": _chunk_count(len(merged[(k, c)].steps)),
                **_stat_columns(new[(k, c)]),
            }
            for k, c in missing
        ]
        for r in insert_missing(conn, _S, new_rows, ("run_id", "key", "context")):
            points = merged[(r.key, r.context)]
            chunks += _tail_kept(
                _chunk_rows(r.id, 0, points.steps, points.values, points.timestamps),
                points.steps,
                points.values,
                points.timestamps,
            )
            stats[(r.key, r.context)] = new[(r.key, r.context)]
        raced = [k for k in missing if k not in stats]  # created by another writer meanwhile
        if raced:
            rows.update(_series_rows(conn, run_id, raced))
    # Only a series' last chunk can be partly full; it is rewritten with the new points.
    ids = [rows[k]["id"] for k in rows if rows[k]["chunk_count"]]
    tails = {}
    if ids:
        found = conn.execute(_TAIL_CHUNKS, {"_ids": ids})
        tails = {t.series_id: (t.seq, t.data) for t in found}
    updates = []
    for k, row in rows.items():
        points = merged[k]
        steps, values, times = points.steps, points.values, points.timestamps
        seq = row["chunk_count"]
        keep_raw: tuple[bool, ...] = ()
        if row["id"] in tails:
            seq, blob = tails[row["id"]]
            old = _TAILS.get(row["id"], blob) or decode(blob)
            steps = np.concatenate((old[0], steps))
            values = np.concatenate((old[1], values))
            times = np.concatenate((old[2], times))
            if len(steps) < CHUNK_POINTS and len(steps).bit_length() == len(old[0]).bit_length():
                # Sections that did not compress in the tail will not now either: retried
                # only each time the tail doubles, and when it is full.
                keep_raw = raw_sections(blob)
        chunks += _tail_kept(
            _chunk_rows(row["id"], seq, steps, values, times, keep_raw),
            steps,
            values,
            times,
            owned=row["id"] in tails,  # joined with the old tail above: new arrays
        )
        new_stats = _merged_stats(row, points)
        count = seq + _chunk_count(len(steps))
        updates.append({"_id": row["id"], "chunk_count": count, **_stat_columns(new_stats)})
        stats[k] = new_stats
    if tails:
        conn.execute(_DELETE_CHUNK, [{"_sid": sid, "_seq": seq} for sid, (seq, _) in tails.items()])
    execute_rows(conn, _INSERT_CHUNK, chunks)
    execute_rows(conn, _UPDATE_SERIES, updates)
    return [stats[k] for k in keys]


def _tail_kept(
    rows: list[dict[str, Any]],
    steps: np.ndarray,
    values: np.ndarray,
    times: np.ndarray,
    owned: bool = False,
) -> list[dict[str, Any]]:
    """``rows`` (of ``steps``...), their partly full last chunk remembered in :data:`_TAILS`
    (``owned``: the arrays were made here, not handed in by the caller)."""
    n = rows[-1]["n"]
    if n < CHUNK_POINTS:
        tail = (steps[-n:], values[-n:], times[-n:])
        _TAILS.put(rows[-1]["series_id"], rows[-1]["data"], tail, owned)
    return rows


def _chunk_count(n: int) -> int:
    return -(-n // CHUNK_POINTS)


def _chunk_rows(
    series_id: int,
    seq: int,
    steps: np.ndarray,
    values: np.ndarray,
    times: np.ndarray,
    keep_raw: tuple[bool, ...] = (),
) -> list[dict[str, Any]]:
    """The ``metric_chunks`` rows of points starting at chunk ``seq`` of a series
    (``keep_raw``: see :func:`codec.encode`)."""
    out = []
    for lo in range(0, len(steps), CHUNK_POINTS):
        part = slice(lo, lo + CHUNK_POINTS)
        s, v, t = steps[part], values[part], times[part]
        out.append(
            {
                "series_id": series_id,
                "seq": seq,
                "n": len(s),
                "min_step": int(s.min()),
                "max_step": int(s.max()),
                "data": encode(s, v, t, keep_raw),
            }
        )
        seq += 1
    return out


def _merged_stats(m: Any, points: SeriesPoints) -> SeriesStats:
    """The statistics of series row ``m`` after ``points`` are appended."""
    values = points.values
    not_nan = values[~np.isnan(values)]
    count = m["count"] + len(values)
    lo = float(not_nan.min()) if len(not_nan) else None
    hi = float(not_nan.max()) if len(not_nan) else None
    real = values[np.isfinite(values)]
    with np.errstate(over="ignore", invalid="ignore"):  # a huge sum may overflow to inf
        total = (m["sum"] if m["sum"] is not None else float("nan")) + float(real.sum())
    top = int(points.steps.max())
    return SeriesStats(
        key=points.key,
        context=points.context,
        count=count,
        finite_count=m["finite_count"] + len(real),
        sum=total,
        min=lo if m["min"] is None else (m["min"] if lo is None else min(m["min"], lo)),
        max=hi if m["max"] is None else (m["max"] if hi is None else max(m["max"], hi)),
        first=float(values[0]) if m["count"] == 0 else m["first"],
        last=float(values[-1]),
        last_step=int(points.steps[-1]),
        max_step=top if m["max_step"] is None else max(m["max_step"], top),
        last_time=int(points.timestamps[-1]),
    )


# The statistics columns of a ``metric_series`` row: SeriesStats' fields less the series' name.
_STAT_COLUMNS = tuple(f for f in SeriesStats.__dataclass_fields__ if f not in ("key", "context"))
_stat_values = attrgetter(*_STAT_COLUMNS)


def _stat_columns(stats: SeriesStats) -> dict[str, object]:
    """The row values of ``stats``; NaN (the one value unequal to itself) is NULL, as SQLite
    stores it, so that every backend reads back the same."""
    values = zip(_STAT_COLUMNS, _stat_values(stats), strict=True)
    return {f: (None if v != v else v) for f, v in values}


def read(
    conn: Connection, run_id: str, key: str, context: str = "", cache: SeriesCache | None = None
) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
    """Every point of a series ordered by step then arrival, as read-only arrays, or None if
    there is no such series. ``cache`` keeps decoded series between calls."""
    where = (_S.c.run_id == run_id) & (_S.c.key == key) & (_S.c.context == context)
    row = conn.execute(select(_S.c.id, _S.c.count, _S.c.chunk_count).where(where)).first()
    if row is None:
        return None
    # Unpacked, not ``row.count``: type checkers take that for tuple's count method.
    series_id, count, chunk_count = row
    version = (series_id, count, chunk_count)
    if cache is not None and (hit := cache.get(version)) is not None:
        return hit
    blobs = conn.execute(select(_C.c.data).where(_C.c.series_id == series_id).order_by(_C.c.seq))
    parts = [decode(b) for (b,) in blobs]
    if parts:
        steps, values, times = (np.concatenate([p[i] for p in parts]) for i in range(3))
    else:
        steps, values, times = np.empty(0, np.int64), np.empty(0, np.float64), np.empty(0, np.int64)
    if len(steps) > 1 and not (steps[1:] >= steps[:-1]).all():
        order = np.argsort(steps, kind="stable")
        steps, values, times = steps[order], values[order], times[order]
    for array in (steps, values, times):
        array.flags.writeable = False  # shared with the cache and other readers
    if cache is not None:
        cache.put(version, (steps, values, times))
    return steps, values, times


def list_stats(conn: Connection, run_ids: list[str]) -> dict[str, list[SeriesStats]]:
    """The statistics of every series of each run in ``run_ids``."""
    out: dict[str, list[SeriesStats]] = {r: [] for r in run_ids}
    if not run_ids:
        return out
    rows = conn.execute(select(_S).where(_S.c.run_id.in_(run_ids)).order_by(_S.c.key, _S.c.context))
    for row in rows:
        out[row.run_id].append(_stats_from_row(row))
    return out


def total_points(conn: Connection, run_id: str) -> int:
    """How many points a run has over all its series."""
    return conn.execute(select(func.sum(_S.c.count)).where(_S.c.run_id == run_id)).scalar() or 0
