"""``GET /api/v1/events``: server-sent events, so live pages need not poll.

- ``?runs=ID,...`` (charts of running runs): a ``run`` event whenever a run's status, summary
  or series change, ``done`` once none runs.
- ``?project=NAME`` (the runs table): a ``project`` event whenever the project gains or loses
  runs, a run starts or stops running, or the project goes to or leaves the trash, and ``run``
  events of its running runs as above; it says ``done`` only when no project has that name any
  more (a run may start at any time), naming the project's new name if it was renamed.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable
from typing import Annotated, Any

from fastapi import Query
from fastapi.responses import StreamingResponse
from starlette.concurrency import run_in_threadpool

from tracklog.errors import InvalidValueError, NotFoundError
from tracklog.server.auth import Guard, GuardDep
from tracklog.server.encoding import wire_router, wire_text
from tracklog.server.routes.series_batch import require_runs
from tracklog.server.state import StoreDep
from tracklog.store.stored_json import abridged_text
from tracklog.store.tracking import Store

router = wire_router(prefix="/api/v1", tags=["runs"])

MAX_RUNS = 100  # runs followed by one stream (a project's most recently started running runs)
CHECK_S = 1.0  # how often the store is read for changes
# A stream ends after this long and the browser's EventSource reconnects (after ``retry``), so
# no stream holds a server that is shutting down for longer.
STREAM_S = 30.0
RETRY_MS = 1000

# One look at the store: the events to send, and the data of the ``done`` event that ends the
# stream (None: it goes on).
Check = Callable[[], tuple[list[str], dict[str, Any] | None]]


@router.get("/events")
async def run_events(
    store: StoreDep,
    guard: GuardDep,
    runs: Annotated[str | None, Query(description="run ids, comma-separated")] = None,
    project: Annotated[str | None, Query(description="a project's name")] = None,
) -> StreamingResponse:
    """``text/event-stream`` of ``runs`` or of ``project`` (name exactly one): at once and
    then on every change, per run an ``event: run`` with ``{"run": run, "series": [statistics
    of each series]}``; for a project also ``event: project`` with ``{"id", "runs": active
    runs, "running": [ids], "lifecycle_stage": "active" or "deleted"}``; for runs, ``event: done``
    when none is RUNNING any more, and the stream ends. A project's stream ends with ``event:
    done`` ``{"project": {"id", "name", "lifecycle_stage"}}`` when the project was renamed
    (``{"project": null}``: it no longer exists)."""
    if (runs is None) == (project is None):
        raise InvalidValueError("name either runs=ID,... or project=NAME")
    if project is not None:
        project_id = await run_in_threadpool(_require_project, store, guard, project)
        check = _project_check(store, project, project_id)
    else:
        ids = [i for i in (runs or "").split(",") if i]
        if not 1 <= len(ids) <= MAX_RUNS:
            raise InvalidValueError(f"runs must name 1 to {MAX_RUNS} run ids, got {len(ids)}")
        await run_in_threadpool(require_runs, store, guard, ids)
        check = _runs_check(store, ids)
    return StreamingResponse(
        _events(check),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
    )


def _require_project(store: Store, guard: Guard, project: str) -> int:
    if not guard.require_project(project, "READ"):
        raise NotFoundError(f"no project named {project!r}")
    return store.project_id(project)  # raises NotFoundError naming it


async def _events(check: Check) -> AsyncIterator[str]:
    end = time.monotonic() + STREAM_S
    yield f"retry: {RETRY_MS}\n\n"
    while True:
        events, done = await run_in_threadpool(check)
        for event in events:
            yield event
        if done is not None:
            yield _event("done", done)
            return
        if time.monotonic() > end:
            return
        await asyncio.sleep(CHECK_S)


def _event(name: str, data: Any) -> str:
    # Long text is abridged as in every listing: a run's own endpoint has it whole.
    text = wire_text(data, abridged_text)
    return f"event: {name}\ndata: {text}\n\n"


def _runs_check(store: Store, ids: list[str]) -> Check:
    sent: dict[str, Any] = {}

    def check() -> tuple[list[str], dict[str, Any] | None]:
        events = [_event("run", c) for c in _changes(store, ids, sent)]
        running = any(state[0] == "RUNNING" for state in sent.values())
        return events, None if running else {}

    return check


def _project_check(store: Store, project: str, project_id: int) -> Check:
    sent: dict[str, Any] = {}
    shown: dict[str, Any] = {}

    def check() -> tuple[list[str], dict[str, Any] | None]:
        found = store.projects(project)
        if not found or found[0].id != project_id:
            # Nothing more will happen under this name: say where the project went, so the
            # page can follow it (another project may have taken the name meanwhile).
            return [], {"project": _project_now(store, project_id)}
        info = found[0]
        running = store.search_run_ids(
            [project],
            "attributes.status = 'RUNNING'",
            ["attributes.start_time DESC"],
            limit=MAX_RUNS,
        )
        events = []
        state = {
            "id": info.id,
            "runs": info.run_count,
            "running": sorted(running),
            "lifecycle_stage": info.lifecycle_stage,
        }
        if shown.get("state") != state:
            shown["state"] = state
            events.append(_event("project", state))
        # Running now, or running when last sent (to send how it ended).
        ids = list(dict.fromkeys([*running, *(i for i, s in sent.items() if s[0] == "RUNNING")]))
        events += [_event("run", c) for c in _changes(store, ids, sent)]
        return events, None

    return check


def _project_now(store: Store, project_id: int) -> dict[str, Any] | None:
    """The project ``project_id`` as it is now, or None if it no longer exists."""
    found = next((p for p in store.projects() if p.id == project_id), None)
    if found is None:
        return None
    return {"id": found.id, "name": found.name, "lifecycle_stage": found.lifecycle_stage}


def _changes(store: Store, ids: list[str], sent: dict[str, Any]) -> list[dict[str, Any]]:
    """The runs of ``ids`` whose status, summary or series changed since ``sent`` (updated)."""
    out = []
    for run in store.get_runs(ids):
        if run.id in sent and sent[run.id][0] != "RUNNING":
            continue  # ended when last sent: nothing more will change
        stats = store.series_stats(run.id)
        counts = [(s.key, s.context, s.count) for s in stats]
        state = (run.status, run.end_time, run.summary, counts)
        if sent.get(run.id) != state:
            sent[run.id] = state
            out.append({"run": run, "series": stats})
    return out
