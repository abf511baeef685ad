"""Request and response bodies streamed in chunks, so a large file never sits whole in memory."""

from __future__ import annotations

from collections.abc import Iterator
from typing import IO, Any

import anyio.from_thread
from fastapi import Request
from fastapi.responses import StreamingResponse
from starlette.concurrency import iterate_in_threadpool

CHUNK = 1 << 20


def body_chunks(request: Request) -> Iterator[bytes]:
    """The request body, chunk by chunk as it arrives, for a worker thread
    (``run_in_threadpool``) to write to the store: nothing is held in memory or spooled.
    Errors of the stream (the client went away, a body limit) are raised where it is read."""
    stream = request.stream()  # an async generator: its own iterator
    while True:
        try:
            chunk = anyio.from_thread.run(stream.__anext__)
        except StopAsyncIteration:
            return
        if chunk:
            yield chunk


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
