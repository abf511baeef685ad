"""The latest point of every metric of some runs, as MLflow's ``runs/get`` reports them:
the point at the highest step, the last to arrive there."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import NamedTuple

from sqlalchemy import Connection, select

from tracklog.store import schema, series
from tracklog.store.engine import batches

_S = schema.metric_series


class LatestPoint(NamedTuple):
    """A metric's latest point: its key, value, step and timestamp (ms). A tuple: a page of
    MLflow's search makes thousands, and a frozen dataclass is several times slower to make."""

    key: str
    value: float
    step: int
    timestamp: int


def latest_points_in(conn: Connection, run_ids: Sequence[str]) -> dict[str, list[LatestPoint]]:
    """The latest point of each context-free metric of each run, by key, read in the open
    transaction ``conn``; up to 1,000 runs per query."""
    out: dict[str, list[LatestPoint]] = {r: [] for r in run_ids}
    # Only the columns needed, for a page of up to 1,000 runs of MLflow's search.
    cols = (_S.c.run_id, _S.c.key, _S.c.last, _S.c.last_step, _S.c.max_step, _S.c.last_time)
    for part in batches(run_ids):
        stmt = (
            select(*cols)
            .where(_S.c.run_id.in_(part), _S.c.context == "", _S.c.count > 0)
            .order_by(_S.c.run_id, _S.c.key)
        )
        for run_id, key, last, last_step, max_step, last_time in conn.execute(stmt).all():
            if last_step is None:
                continue
            if last_step == max_step:
                # NaN is stored as NULL in the statistics.
                value = math.nan if last is None else last
                out[run_id].append(LatestPoint(key, value, last_step, last_time or 0))
                continue
            # Points arrived out of step order: the series itself knows the latest.
            found = series.read(conn, run_id, key)
            if found is not None:
                steps, values, times = found
                out[run_id].append(
                    LatestPoint(key, float(values[-1]), int(steps[-1]), int(times[-1]))
                )
    return out
