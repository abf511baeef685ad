"""``POST /api/v1/series/batch`` and ``/series/stats``: the points of several runs' series in
one request, each windowed to a step range and downsampled, and the statistics of every series
of several runs, for charts of many runs."""

from __future__ import annotations

import struct
from typing import Annotated, Any

from fastapi import Header
from fastapi.responses import Response
from pydantic import BaseModel, Field

from tracklog.errors import InvalidValueError, NotFoundError
from tracklog.server.auth import Guard, GuardDep
from tracklog.server.encoding import WireJSON, series_columns, wire_router
from tracklog.server.state import StoreDep
from tracklog.store.downsample import window
from tracklog.store.tracking import Store
from tracklog.store.wire import encode_series

router = wire_router(prefix="/api/v1", tags=["metrics"])

BATCH_MEDIA_TYPE = "application/x-tracklog-series-batch"
MAX_SERIES = 1000  # runs x keys in one request
_COUNT = struct.Struct("<q")


class SeriesKey(BaseModel):
    """A metric key and its context (train/val...); no context: the one without."""

    key: str = Field(min_length=1)
    context: dict[str, Any] | None = None


class BatchRequest(BaseModel):
    """Every key of ``keys`` for every run of ``runs``, within [min_step, max_step],
    downsampled to ``samples`` points each (min and max of each stretch kept)."""

    runs: list[str] = Field(min_length=1)
    keys: list[SeriesKey] = Field(min_length=1)
    samples: int | None = Field(default=None, ge=4)
    min_step: int | None = None
    max_step: int | None = None


class StatsRequest(BaseModel):
    """The runs whose series statistics to answer."""

    runs: list[str] = Field(min_length=1, max_length=MAX_SERIES)


@router.post("/series/batch")
def read_series_batch(
    body: BatchRequest,
    store: StoreDep,
    guard: GuardDep,
    accept: Annotated[str, Header()] = "application/json",
) -> Any:
    """Runs outer, keys inner. JSON: ``{"series": [{"run_id", "key", "context", "steps",
    "values", "timestamps"} or null (no such series), ...]}``. With ``Accept:
    application/x-tracklog-series-batch``: per series an int64 point count n (-1: none), then
    its n int64 steps, n float64 values and n int64 ms, all little-endian."""
    count = len(body.runs) * len(body.keys)
    if count > MAX_SERIES:
        raise InvalidValueError(
            f"{len(body.runs)} runs x {len(body.keys)} keys is {count} series; "
            f"at most {MAX_SERIES} per request"
        )
    require_runs(store, guard, body.runs)
    found = [
        (run_id, k, _points(store, run_id, k, body)) for run_id in body.runs for k in body.keys
    ]
    if BATCH_MEDIA_TYPE in accept:
        parts = [
            _COUNT.pack(-1) if p is None else _COUNT.pack(len(p[0])) + encode_series(*p)
            for _, _, p in found
        ]
        return Response(b"".join(parts), media_type=BATCH_MEDIA_TYPE)
    return WireJSON(
        {
            "series": [
                None
                if p is None
                else {"run_id": r, "context": k.context, **series_columns(k.key, *p)}
                for r, k, p in found
            ]
        }
    )


@router.post("/series/stats")
def series_stats_batch(body: StatsRequest, store: StoreDep, guard: GuardDep) -> Any:
    """``{"series": {run id: [statistics of each of its series]}}`` for every run of ``runs``."""
    require_runs(store, guard, body.runs)
    return {"series": store.series_stats_of(body.runs)}


def require_runs(store: Store, guard: Guard, run_ids: list[str]) -> None:
    """Raise unless every run exists and the caller may read it; the first missing one named."""
    for run_id in run_ids:
        guard.require_run(run_id, "READ")
    found = {r.id for r in store.get_runs(run_ids)}
    missing = [i for i in run_ids if i not in found]
    if missing:
        raise NotFoundError(f"no run with id {missing[0]!r}")


def _points(store: Store, run_id: str, key: SeriesKey, body: BatchRequest) -> Any:
    try:
        points = store.read_series(run_id, key.key, key.context)
    except NotFoundError:
        return None  # the run exists (checked): it has no such series
    return window(*points, body.samples, body.min_step, body.max_step)
