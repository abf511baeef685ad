"""``GET /api/v1/events?runs=ID,...``: server-sent events while runs run, so live charts need not
poll: a ``run`` event whenever a run's status or series change, ``done`` once none runs."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from typing import Annotated, Any

from fastapi import Query
from fastapi.responses import StreamingResponse
from starlette.concurrency import run_in_threadpool

from tracklog.errors import InvalidValueError
from tracklog.server.auth import GuardDep
from tracklog.server.encoding import jsonable, wire_router
from tracklog.server.routes.series_batch import require_runs
from tracklog.server.state import StoreDep
from tracklog.store.tracking import Store

router = wire_router(prefix="/api/v1", tags=["runs"])

MAX_RUNS = 100
CHECK_S = 1.0  # how often the store is read for changes
# A stream ends after this long and the browser's EventSource reconnects (after ``retry``), so
# no stream holds a server that is shutting down for longer.
STREAM_S = 30.0
RETRY_MS = 1000


@router.get("/events")
async def run_events(
    runs: Annotated[str, Query(description="run ids, comma-separated")],
    store: StoreDep,
    guard: GuardDep,
) -> StreamingResponse:
    """``text/event-stream``: at once and then on every change, per run an ``event: run`` with
    ``{"run": run, "series": [statistics of each series]}``; ``event: done`` when none of the
    runs is RUNNING any more, and the stream ends."""
    ids = [i for i in runs.split(",") if i]
    if not 1 <= len(ids) <= MAX_RUNS:
        raise InvalidValueError(f"runs must name 1 to {MAX_RUNS} run ids, got {len(ids)}")
    await run_in_threadpool(require_runs, store, guard, ids)
    return StreamingResponse(
        _events(store, ids),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
    )


async def _events(store: Store, ids: list[str]) -> AsyncIterator[str]:
    sent: dict[str, Any] = {}
    end = time.monotonic() + STREAM_S
    yield f"retry: {RETRY_MS}\n\n"
    while True:
        changes = await run_in_threadpool(_changes, store, ids, sent)
        for change in changes:
            yield f"event: run\ndata: {json.dumps(jsonable(change), separators=(',', ':'))}\n\n"
        if not any(state[0] == "RUNNING" for state in sent.values()):
            yield "event: done\ndata: {}\n\n"
            return
        if time.monotonic() > end:
            return
        await asyncio.sleep(CHECK_S)


def _changes(store: Store, ids: list[str], sent: dict[str, Any]) -> list[dict[str, Any]]:
    """The runs of ``ids`` whose status or series changed since ``sent`` (updated)."""
    out = []
    for run in store.get_runs(ids):
        if run.id in sent and sent[run.id][0] != "RUNNING":
            continue  # ended when last sent: nothing more will change
        stats = store.series_stats(run.id)
        state = (run.status, run.end_time, [(s.key, s.context, s.count) for s in stats])
        if sent.get(run.id) != state:
            sent[run.id] = state
            out.append({"run": run, "series": stats})
    return out
