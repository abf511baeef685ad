"""Request and response bodies streamed in chunks, so a large file never sits whole in memory."""

from __future__ import annotations

import mimetypes
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


def file_response(handle: Any, name: str | None = None) -> StreamingResponse:
    """Stream an open file (closed when done) as the response body, typed by its ``name``'s
    extension (``application/octet-stream`` without one).

    A run's files are whatever its script logged, so the browser must never run them in the
    UI's origin: ``nosniff`` keeps it from guessing a script or page out of other bytes, and
    the ``sandbox`` policy gives a page or SVG opened from here an opaque origin, no script,
    no forms, no cookies of ours."""

    def read() -> Iterator[bytes]:
        with handle:
            yield from chunks(handle)

    media_type = (mimetypes.guess_type(name)[0] if name else None) or "application/octet-stream"
    return StreamingResponse(
        iterate_in_threadpool(read()), media_type=media_type, headers=UNTRUSTED_FILE_HEADERS
    )


UNTRUSTED_FILE_HEADERS = {"X-Content-Type-Options": "nosniff", "Content-Security-Policy": "sandbox"}
