"""Requests to the in-process ASGI app with the URL path exactly as sent.

httpx (and so Starlette's ``TestClient``) removes ``..`` segments from a URL before sending
it; uvicorn does not. This driver builds the scope as uvicorn does (``path`` is the raw path
percent-decoded once, ``raw_path`` the bytes on the wire), so a test sees what a hostile
client reaches on a real server.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote

from fastapi import FastAPI


@dataclass(frozen=True)
class Answer:
    """A response: status, headers (lower-case names) and the whole body."""

    status: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


class RawClient:
    """Sends requests to ``app`` on one event loop, its lifespan entered for the client's life."""

    def __init__(
        self, app: FastAPI, loop: asyncio.AbstractEventLoop, headers: dict[str, str]
    ) -> None:
        self.app, self.loop, self.headers = app, loop, headers

    def request(
        self,
        method: str,
        raw_path: str,
        query: str = "",
        body: bytes = b"",
        headers: dict[str, str] | None = None,
    ) -> Answer:
        """``method`` on ``raw_path`` (sent as it is: only ASCII, percent-encode the rest)."""
        return self.loop.run_until_complete(self._call(method, raw_path, query, body, headers))

    async def _call(
        self, method: str, raw_path: str, query: str, body: bytes, headers: dict[str, str] | None
    ) -> Answer:
        sent = {
            "host": "testserver",
            "content-type": "application/json",
            "content-length": str(len(body)),
            **self.headers,
            **(headers or {}),
        }
        scope = {
            "type": "http",
            "asgi": {"version": "3.0"},
            "http_version": "1.1",
            "method": method,
            "scheme": "http",
            "path": unquote(raw_path),  # what uvicorn does: decoded once, dots left alone
            "raw_path": raw_path.encode("ascii"),
            "query_string": query.encode("ascii"),
            "root_path": "",
            "headers": [(k.encode(), v.encode()) for k, v in sent.items()],
            "client": ("127.0.0.1", 50000),
            "server": ("testserver", 80),
            "state": {},
        }
        messages = [{"type": "http.request", "body": body, "more_body": False}]
        out: list[dict[str, Any]] = []

        async def receive() -> dict[str, Any]:
            if messages:
                return messages.pop(0)
            await asyncio.sleep(3600)  # the client never leaves before the answer
            return {"type": "http.disconnect"}

        async def send(message: dict[str, Any]) -> None:
            out.append(message)

        await self.app(scope, receive, send)
        start = next(m for m in out if m["type"] == "http.response.start")
        return Answer(
            start["status"],
            {k.decode().lower(): v.decode() for k, v in start.get("headers", [])},
            b"".join(m.get("body", b"") for m in out if m["type"] == "http.response.body"),
        )


@contextmanager
def raw_client(app: FastAPI, headers: dict[str, str] | None = None) -> Iterator[RawClient]:
    """A :class:`RawClient` of ``app`` with its lifespan (store opened, sweeper) running,
    sending ``headers`` with every request."""
    loop = asyncio.new_event_loop()
    lifespan = app.router.lifespan_context(app)
    loop.run_until_complete(lifespan.__aenter__())
    try:
        yield RawClient(app, loop, headers or {})
    finally:
        loop.run_until_complete(lifespan.__aexit__(None, None, None))
        loop.close()
