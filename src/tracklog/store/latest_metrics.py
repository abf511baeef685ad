"""The latest point of every metric of some runs, as MLflow's ``runs/get`` reports them:
the point at the highest step, the last to arrive there."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import Engine

from tracklog.store import series
from tracklog.store.engine import reading


@dataclass(frozen=True)
class LatestPoint:
    """A metric's latest point: its key, value, step and timestamp (ms)."""

    key: str
    value: float
    step: int
    timestamp: int


def latest_points(engine: Engine, run_ids: Sequence[str]) -> dict[str, list[LatestPoint]]:
    """The latest point of each context-free metric of each run, by key."""
    out: dict[str, list[LatestPoint]] = {}
    with reading(engine) as conn:
        stats = series.list_stats(conn, list(run_ids))
        for run_id, all_stats in stats.items():
            points = out.setdefault(run_id, [])
            for st in all_stats:
                if st.context or not st.count or st.last_step is None:
                    continue
                if st.last_step == st.max_step:
                    # NaN is stored as NULL in the statistics.
                    value = math.nan if st.last is None else st.last
                    points.append(LatestPoint(st.key, value, st.last_step, st.last_time or 0))
                    continue
                # Points arrived out of step order: the series itself knows the latest.
                found = series.read(conn, run_id, st.key)
                if found is not None:
                    steps, values, times = found
                    points.append(
                        LatestPoint(st.key, float(values[-1]), int(steps[-1]), int(times[-1]))
                    )
    return out
