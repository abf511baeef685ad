"""Metric series: appending points in chunks, keeping running statistics, reading them back.

Points are appended to the series' *tail chunk* until it holds :data:`CHUNK_POINTS`, then a new
chunk starts, so chunks stay full-sized whether points arrive one per second or a million at
once. Reads return points ordered by step, then by arrival.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from sqlalchemy import Connection, func, insert, select, update

from tracklog.store import schema
from tracklog.store.codec import CHUNK_POINTS, decode, encode
from tracklog.store.engine import upsert

_S = schema.metric_series
_C = schema.metric_chunks


@dataclass
class SeriesPoints:
    """Points of one series in arrival order; ``context`` is canonical JSON ("" for none)."""

    key: str
    context: str
    steps: np.ndarray
    values: np.ndarray
    timestamps: np.ndarray


@dataclass(frozen=True)
class SeriesStats:
    """Running statistics of a series (NaN values are left out of min, max and mean)."""

    key: str
    context: str
    count: int
    finite_count: int
    sum: float
    min: float | None
    max: float | None
    first: float | None
    last: float | None
    last_step: int | None
    last_time: int | None

    def summary(self, mode: str) -> float | None:
        """The series' summary value under ``mode`` (last, first, min, max or mean)."""
        if mode == "mean":
            return self.sum / self.finite_count if self.finite_count else None
        return getattr(self, mode)


def _stats_from_row(row: Any) -> SeriesStats:
    m = row._mapping
    return SeriesStats(**{f: m[f] for f in SeriesStats.__dataclass_fields__})


def _series_id(conn: Connection, run_id: str, key: str, context: str) -> int:
    where = (_S.c.run_id == run_id) & (_S.c.key == key) & (_S.c.context == context)
    sid = conn.execute(select(_S.c.id).where(where)).scalar()
    if sid is None:
        row = {"run_id": run_id, "key": key, "context": context}
        upsert(conn, _S, [row], ["run_id", "key", "context"], [])
        sid = conn.execute(select(_S.c.id).where(where)).scalar_one()
    return sid


def append(conn: Connection, run_id: str, points: SeriesPoints) -> SeriesStats:
    """Append ``points`` to their series (created on first use); return its new statistics."""
    sid = _series_id(conn, run_id, points.key, points.context)
    row = conn.execute(select(_S).where(_S.c.id == sid)).one()._mapping
    steps, values, times = points.steps, points.values, points.timestamps
    seq = row["chunk_count"]
    if seq:
        tail = conn.execute(
            select(_C.c.n, _C.c.data).where((_C.c.series_id == sid) & (_C.c.seq == seq - 1))
        ).one()
        if tail.n < CHUNK_POINTS:
            seq -= 1
            old = decode(tail.data)
            steps = np.concatenate((old[0], steps))
            values = np.concatenate((old[1], values))
            times = np.concatenate((old[2], times))
            conn.execute(_C.delete().where((_C.c.series_id == sid) & (_C.c.seq == seq)))
    chunks = [
        {
            "series_id": sid,
            "seq": seq + i,
            "n": len(steps[lo : lo + CHUNK_POINTS]),
            "min_step": int(steps[lo : lo + CHUNK_POINTS].min()),
            "max_step": int(steps[lo : lo + CHUNK_POINTS].max()),
            "data": encode(
                steps[lo : lo + CHUNK_POINTS],
                values[lo : lo + CHUNK_POINTS],
                times[lo : lo + CHUNK_POINTS],
            ),
        }
        for i, lo in enumerate(range(0, len(steps), CHUNK_POINTS))
    ]
    conn.execute(insert(_C), chunks)
    new = _merged_stats(row, points)
    conn.execute(
        update(_S).where(_S.c.id == sid).values(chunk_count=seq + len(chunks), **_nan_to_none(new))
    )
    return SeriesStats(key=points.key, context=points.context, **new)


def _merged_stats(m: Any, points: SeriesPoints) -> dict[str, float | int | None]:
    """The statistics of series row ``m`` after ``points`` are appended."""
    values = points.values
    not_nan = values[~np.isnan(values)]
    count = m["count"] + len(values)
    lo = float(not_nan.min()) if len(not_nan) else None
    hi = float(not_nan.max()) if len(not_nan) else None
    real = values[np.isfinite(values)]
    return {
        "count": count,
        "finite_count": m["finite_count"] + len(real),
        "sum": m["sum"] + float(real.sum()),
        "min": lo if m["min"] is None else (m["min"] if lo is None else min(m["min"], lo)),
        "max": hi if m["max"] is None else (m["max"] if hi is None else max(m["max"], hi)),
        "first": float(values[0]) if m["count"] == 0 else m["first"],
        "last": float(values[-1]),
        "last_step": int(points.steps[-1]),
        "last_time": int(points.timestamps[-1]),
    }


def _nan_to_none(stats: dict[str, float | int | None]) -> dict[str, float | int | None]:
    # SQLite stores NaN as NULL; store NULL on every backend so both read back the same.
    return {k: (None if isinstance(v, float) and v != v else v) for k, v in stats.items()}


def read(
    conn: Connection, run_id: str, key: str, context: str = ""
) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
    """Every point of a series ordered by step then arrival, or None if there is no such series."""
    where = (_S.c.run_id == run_id) & (_S.c.key == key) & (_S.c.context == context)
    sid = conn.execute(select(_S.c.id).where(where)).scalar()
    if sid is None:
        return None
    blobs = conn.execute(select(_C.c.data).where(_C.c.series_id == sid).order_by(_C.c.seq))
    parts = [decode(b) for (b,) in blobs]
    if not parts:
        empty_i = np.empty(0, np.int64)
        return empty_i, np.empty(0, np.float64), empty_i.copy()
    steps, values, times = (np.concatenate([p[i] for p in parts]) for i in range(3))
    if len(steps) > 1 and not (np.diff(steps) >= 0).all():
        order = np.argsort(steps, kind="stable")
        steps, values, times = steps[order], values[order], times[order]
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
