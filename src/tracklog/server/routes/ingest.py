"""``POST /api/v1/ingest``: a stream of recorded write calls, applied in order, idempotently.

The body is :mod:`tracklog.store.wire` records (what an offline journal holds), so a client
can send its journal as it is; metric batches carry ids, so a retried request is applied once.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool

from tracklog.errors import InvalidValueError
from tracklog.server.encoding import WireJSON
from tracklog.store import calls
from tracklog.store.tracking import Store
from tracklog.store.wire import MEDIA_TYPE, Record, iter_records

router = APIRouter(prefix="/api/v1", tags=["ingest"], default_response_class=WireJSON)


@router.post("/ingest")
async def ingest(request: Request) -> Any:
    """Apply every record of the body; answer how many were applied and where parsing
    stopped (a torn last record is left for the client to resend)."""
    if request.headers.get("content-type", "").split(";")[0].strip() != MEDIA_TYPE:
        raise InvalidValueError(f"ingest takes a body of type {MEDIA_TYPE}")
    body = await request.body()
    settings = request.app.state.settings
    records = list(iter_records(body, 0, "request body"))
    if len(records) > settings.max_records:
        raise InvalidValueError(
            f"{len(records)} records in one request; the limit is {settings.max_records}"
        )
    for record in records:
        if record.op == "log_artifact":
            raise InvalidValueError("files are uploaded with PUT .../artifacts/PATH, not ingested")
        points = sum(len(p.steps) for p in record.args.get("batch", []))
        if points > settings.max_batch_points:
            raise InvalidValueError(
                f"a batch of {points} points; the limit is {settings.max_batch_points}"
            )
    await run_in_threadpool(_apply_all, request.app.state.store, records)
    consumed = records[-1].end_offset if records else 0
    return {"applied": len(records), "consumed_bytes": consumed}


def _apply_all(store: Store, records: list[Record]) -> None:
    for record in records:
        calls.apply(store, record)
