"""``/api/v1/runs/{id}/series``: metric statistics and points, full or downsampled."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Header, Query

from tracklog.server.auth import CAN_READ
from tracklog.server.encoding import series_response, wire_router
from tracklog.server.state import StoreDep
from tracklog.store import json_input
from tracklog.store.downsample import window
from tracklog.store.wire import SERIES_MEDIA_TYPE

router = wire_router(prefix="/api/v1", tags=["metrics"])


@router.get("/runs/{run_id}/series", dependencies=[CAN_READ])
def list_series(run_id: str, store: StoreDep) -> Any:
    """Statistics of every series of a run."""
    return {"series": store.series_stats(run_id)}


@router.get("/runs/{run_id}/series/{key:path}", dependencies=[CAN_READ])
def read_series(
    run_id: str,
    key: str,
    store: StoreDep,
    context: Annotated[str | None, Query(description="JSON object")] = None,
    samples: Annotated[int | None, Query(ge=4)] = None,
    min_step: int | None = None,
    max_step: int | None = None,
    accept: Annotated[str, Header()] = "application/json",
) -> Any:
    """Points of one series ordered by step, optionally within [min_step, max_step] and
    downsampled to ``samples`` points keeping each stretch's min and max. Send
    ``Accept: application/x-tracklog-series`` for raw arrays instead of JSON."""
    ctx = json_input.loads(context, "context") if context else None
    steps, values, times = window(*store.read_series(run_id, key, ctx), samples, min_step, max_step)
    return series_response(key, steps, values, times, binary=SERIES_MEDIA_TYPE in accept)
