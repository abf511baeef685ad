"""``/api/v1/runs/{id}/artifacts``: list, upload (streamed) and download (streamed) run files."""

from __future__ import annotations

from typing import Any

from fastapi import Request
from fastapi.responses import StreamingResponse
from starlette.concurrency import run_in_threadpool

from tracklog.server.auth import CAN_EDIT, CAN_READ
from tracklog.server.encoding import wire_router
from tracklog.server.state import StoreDep
from tracklog.server.streaming import body_chunks, file_response
from tracklog.store.artifacts import safe_relpath

router = wire_router(prefix="/api/v1", tags=["artifacts"])


@router.get("/runs/{run_id}/artifacts", dependencies=[CAN_READ])
def list_files(run_id: str, store: StoreDep) -> Any:
    """The run's files with their sizes."""
    return {"files": store.list_files(run_id)}


@router.put("/runs/{run_id}/artifacts/{path:path}", status_code=201, dependencies=[CAN_EDIT])
async def upload(run_id: str, path: str, request: Request) -> Any:
    """Store the request body as file ``path`` of the run."""
    safe_relpath(path)
    store = request.app.state.store
    return await run_in_threadpool(store.write_file, run_id, path, body_chunks(request))


@router.get("/runs/{run_id}/artifacts/{path:path}", dependencies=[CAN_READ])
async def download(run_id: str, path: str, request: Request) -> StreamingResponse:
    """Stream file ``path`` of the run."""
    safe_relpath(path)
    handle = await run_in_threadpool(request.app.state.store.open_file, run_id, path)
    return file_response(handle, path)
