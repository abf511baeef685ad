"""Request bodies sent with ``Content-Encoding: gzip``, decoded before the app reads them.

Starlette compresses responses but leaves request bodies as they came; the tracklog client
gzips what it sends. The decoded body may not exceed the server's body limit (a small
compressed body can expand enormously), and a body that is not valid gzip is a 400.
"""

from __future__ import annotations

import zlib

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from tracklog.server.errors import error_for

_PIECE = 1 << 20  # decompressed bytes produced at a time, so the limit is checked as it grows


class GzipRequests:
    """Decode gzip request bodies of at most ``max_bytes`` decoded bytes (413 beyond)."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        encoding = _header(scope, b"content-encoding")
        if scope["type"] != "http" or encoding in (None, b"identity"):
            await self.app(scope, receive, send)
            return
        if encoding not in (b"gzip", b"x-gzip"):
            await error_for(
                scope["path"],
                415,
                "UNSUPPORTED_ENCODING",
                f"request bodies may be gzip, not {encoding!r}",
            )(scope, receive, send)
            return
        body, problem = await self._decode(receive)
        if problem is not None:
            status, code, message = problem
            await error_for(scope["path"], status, code, message)(scope, receive, send)
            return
        headers = [
            (k, v) for k, v in scope["headers"] if k not in (b"content-encoding", b"content-length")
        ]
        headers.append((b"content-length", str(len(body)).encode()))
        sent = False

        async def replay() -> Message:
            nonlocal sent
            if sent:  # the body was read: what is left to wait for is the disconnect
                return await receive()
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}

        await self.app({**scope, "headers": headers}, replay, send)

    async def _decode(self, receive: Receive) -> tuple[bytes, tuple[int, str, str] | None]:
        """The decoded body, or (status, code, message) of why there is none."""
        decoder = zlib.decompressobj(wbits=31)
        out: list[bytes] = []
        size = 0
        more = True
        while more:
            message = await receive()
            if message["type"] != "http.request":
                return b"", (400, "INVALID_VALUE", "the client went away mid-request")
            more = message.get("more_body", False)
            data = message.get("body", b"")
            try:
                while data:
                    piece = decoder.decompress(data, _PIECE)
                    size += len(piece)
                    if size > self.max_bytes:
                        return b"", (
                            413,
                            "REQUEST_TOO_LARGE",
                            f"decoded request body exceeds the server's limit of "
                            f"{self.max_bytes} bytes (tracklog server --max-body-bytes)",
                        )
                    out.append(piece)
                    data = decoder.unconsumed_tail
                    if decoder.eof and (data or decoder.unused_data):
                        return b"", (400, "INVALID_VALUE", "data after the end of the gzip body")
            except zlib.error as exc:
                return b"", (400, "INVALID_VALUE", f"the request body is not valid gzip: {exc}")
        if not decoder.eof:
            return b"", (400, "INVALID_VALUE", "the gzip request body is cut short")
        return b"".join(out), None


def _header(scope: Scope, name: bytes) -> bytes | None:
    for key, value in scope.get("headers", ()):
        if key == name:
            return value.strip().lower()
    return None
