"""``/api/v1/runs/{id}/artifacts``: list, upload (streamed) and download (streamed) run files."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import StreamingResponse
from starlette.concurrency import iterate_in_threadpool, run_in_threadpool

from tracklog.server.encoding import WireJSON
from tracklog.server.state import StoreDep
from tracklog.store.artifacts import safe_relpath

router = APIRouter(prefix="/api/v1", tags=["artifacts"], default_response_class=WireJSON)
_CHUNK = 1 << 20


@router.get("/runs/{run_id}/artifacts")
def list_files(run_id: str, store: StoreDep) -> Any:
    """The run's files with their sizes."""
    return {"files": store.list_files(run_id)}


@router.put("/runs/{run_id}/artifacts/{path:path}", status_code=201)
async def upload(run_id: str, path: str, request: Request) -> Any:
    """Store the request body as file ``path`` of the run."""
    safe_relpath(path)
    store = request.app.state.store
    # Spool the upload (in memory up to 8 MiB, then on disk) so a large file never sits whole
    # in memory, then hand it to the store from a worker thread.
    with tempfile.SpooledTemporaryFile(max_size=8 * _CHUNK) as spool:
        async for chunk in request.stream():
            spool.write(chunk)
        spool.seek(0)
        return await run_in_threadpool(store.write_file, run_id, path, iter(_chunks(spool)))


@router.get("/runs/{run_id}/artifacts/{path:path}")
async def download(run_id: str, path: str, request: Request) -> StreamingResponse:
    """Stream file ``path`` of the run."""
    safe_relpath(path)
    handle = await run_in_threadpool(request.app.state.store.open_file, run_id, path)
    return StreamingResponse(
        iterate_in_threadpool(_read(handle)), media_type="application/octet-stream"
    )


def _read(handle: Any) -> Iterator[bytes]:
    with handle:
        yield from _chunks(handle)


def _chunks(handle: Any) -> Iterator[bytes]:
    while chunk := handle.read(_CHUNK):
        yield chunk
