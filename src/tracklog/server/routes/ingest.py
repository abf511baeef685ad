"""``POST /api/v1/ingest``: a stream of recorded write calls, applied in order, idempotently.

The body is :mod:`tracklog.store.wire` records (what an offline journal holds), so a client
can send its journal as it is; metric batches carry ids, so a retried request is applied once.
"""

from __future__ import annotations

from typing import Any

from fastapi import Request
from starlette.concurrency import run_in_threadpool

from tracklog.errors import InvalidValueError, RequestTooLargeError, StoreError
from tracklog.server.alert_webhook import AlertWebhook
from tracklog.server.auth import Guard, GuardDep
from tracklog.server.encoding import wire_router
from tracklog.store import calls
from tracklog.store.tracking import Store
from tracklog.store.wire import MEDIA_TYPE, Record, iter_records

router = wire_router(prefix="/api/v1", tags=["ingest"])


@router.post("/ingest")
async def ingest(request: Request, guard: GuardDep) -> Any:
    """Apply every record of the body; answer how many were applied and where parsing
    stopped (a torn last record is left for the client to resend)."""
    if request.headers.get("content-type", "").split(";")[0].strip() != MEDIA_TYPE:
        raise InvalidValueError(f"ingest takes a body of type {MEDIA_TYPE}")
    body = await request.body()
    settings = request.app.state.settings
    try:
        records = list(iter_records(body, 0, "request body"))
    except StoreError as exc:  # a corrupt record mid-body is bad input, not a server fault
        raise InvalidValueError(str(exc)) from None
    if len(records) > settings.max_records:
        raise RequestTooLargeError(
            f"{len(records)} records in one request; the limit is {settings.max_records} "
            "(tracklog server --max-records-per-request)"
        )
    for record in records:
        if record.op == "log_artifact":
            raise InvalidValueError("files are uploaded with PUT .../artifacts/PATH, not ingested")
        points = sum(len(p.steps) for p in record.args.get("batch", []))
        if points > settings.max_batch_points:
            raise RequestTooLargeError(
                f"a batch of {points} points; the limit is {settings.max_batch_points} "
                "(tracklog server --max-batch-points)"
            )
    webhook = request.app.state.alert_webhook
    await run_in_threadpool(_apply_all, request.app.state.store, guard, records, webhook)
    consumed = records[-1].end_offset if records else 0
    return {"applied": len(records), "consumed_bytes": consumed}


def _apply_all(
    store: Store, guard: Guard, records: list[Record], webhook: AlertWebhook | None
) -> None:
    _authorize(store, guard, records)
    # Checked again as each create_run is applied: a run that did not exist when the request was
    # checked may have been created since, by another user, and must not be resumed by this one.
    access = calls.RunAccess(
        create=guard.claim_project, resume=lambda run_id: guard.require_run(run_id, "EDIT")
    )

    def applied(record: Record, answer: Any) -> None:
        if webhook is not None and record.op == "add_alert" and answer is True:
            webhook.notify(store, record.args["run_id"], record.args["alert_id"])

    calls.apply_all(store, records, access, applied)


def _authorize(store: Store, guard: Guard, records: list[Record]) -> None:
    """Check every record before any is applied, so a refused request changes nothing.

    Writes need EDIT on the run's project. A ``create_run`` of a new run needs EDIT on an
    existing project, or creates the project (its creator gets MANAGE) when applied; the
    later records of such a run need no check, as the run is this user's once created (or,
    taken meanwhile by someone else, is resumed only after its own check, as it is applied).
    """
    new_runs: set[str] = set()
    if guard.user is None:  # auth is off
        return
    checked: set[str] = set()
    for record in records:
        run_id = record.args.get("run_id")
        if not isinstance(run_id, str):
            raise InvalidValueError(f"{record.op}: run_id must be a string, got {run_id!r}")
        if run_id in new_runs or run_id in checked:
            continue
        if record.op == "create_run" and not store.has_run(run_id):
            project = record.args.get("project")
            if not isinstance(project, str):
                raise InvalidValueError(f"create_run: project must be a string, got {project!r}")
            guard.require_project(project, "EDIT")
            new_runs.add(run_id)
            continue
        guard.require_run(run_id, "EDIT")
        checked.add(run_id)
