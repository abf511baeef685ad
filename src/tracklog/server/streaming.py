"""Request and response bodies streamed in chunks, so a large file never sits whole in memory."""

from __future__ import annotations

import tempfile
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from typing import IO, Any

from fastapi import Request
from fastapi.responses import StreamingResponse
from starlette.concurrency import iterate_in_threadpool

CHUNK = 1 << 20


@asynccontextmanager
async def spooled_body(request: Request) -> AsyncIterator[Iterator[bytes]]:
    """The request body, spooled (in memory up to 8 MiB, then on disk), as an iterator of
    chunks a worker thread can hand to the store."""
    with tempfile.SpooledTemporaryFile(max_size=8 * CHUNK) as spool:
        async for chunk in request.stream():
            spool.write(chunk)
        spool.seek(0)
        yield chunks(spool)


def chunks(handle: IO[bytes]) -> Iterator[bytes]:
    """The rest of an open file, a chunk at a time."""
    while chunk := handle.read(CHUNK):
        yield chunk


def file_response(handle: Any) -> StreamingResponse:
    """Stream an open file (closed when done) as the response body."""

    def read() -> Iterator[bytes]:
        with handle:
            yield from chunks(handle)

    return StreamingResponse(iterate_in_threadpool(read()), media_type="application/octet-stream")
