"""Credentials first: the outermost middleware checks them before anything reads, decodes or
limits a request's body.

A request body costs the server memory and time (a gzip body is decoded up to the body limit),
so nobody without valid credentials may make it read one. Which routes need credentials is
read from the routes themselves: those with the :func:`~tracklog.server.auth.current_user`
dependency (every ``/api/v1`` and MLflow route but the few left open on purpose), so a new
route cannot slip past. The outcome goes to the route in the request's scope: the user, or the
error that ``current_user`` raises there, so each route answers it in its own error shape,
with an empty body in place of the one that was never read.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import fastapi.routing
from fastapi.dependencies.models import Dependant
from starlette.routing import BaseRoute
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from tracklog.errors import RateLimitedError
from tracklog.server.auth import AUTH_RESULT, authenticate, current_user

Entry = tuple[str, re.Pattern[str], "set[str] | None", bool]
# Headers that describe the body the route will not get.
_BODY_HEADERS = (b"content-length", b"content-encoding", b"transfer-encoding")


class AuthGate:
    """Authenticate each request to a route that needs credentials before its body is read."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self._count = -1
        self._table: list[Entry] = []

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        app = scope.get("app")
        if (
            scope["type"] != "http"
            or app is None
            or getattr(app.state, "auth", None) is None
            or not self._needs_credentials(app, scope)
        ):
            await self.app(scope, receive, send)
            return
        try:
            scope[AUTH_RESULT] = await authenticate(app, scope)
        except Exception as exc:  # answered by the route (current_user raises it)
            scope[AUTH_RESULT] = exc
            headers = [(k, v) for k, v in scope["headers"] if k not in _BODY_HEADERS]
            unread = {**scope, "headers": headers}
            await self.app(unread, _no_body(receive), _retry_after(send, exc))
            return
        await self.app(scope, receive, send)

    def _needs_credentials(self, app: Any, scope: Scope) -> bool:
        """Whether the route that will answer ``scope`` depends on ``current_user``: the
        first route whose path and method match, as the router picks it."""
        routes = app.router.routes
        if len(routes) != self._count:  # first request, or routes added since
            self._count = len(routes)
            self._table = _route_table(routes)
        path, method = scope["path"], scope["method"]
        root = scope.get("root_path", "")
        if root and path.startswith(root):
            path = path[len(root) :]
        for literal, pattern, methods, guarded in self._table:
            if (
                path.startswith(literal)
                and pattern.match(path)
                and (methods is None or method in methods)
            ):
                return guarded
        return False  # the router answers 404 or 405 without reading the body


def _route_table(routes: list[BaseRoute]) -> list[Entry]:
    """Every route in the order the router tries them: the literal start of its path (a
    cheap test before the pattern), its path pattern, its methods (None: any) and whether it
    needs credentials."""
    # FastAPI >= 0.16x keeps included routers whole; iter_route_contexts flattens them (with
    # the dependencies of include_router). Earlier versions list flat routes already.
    flatten = getattr(fastapi.routing, "iter_route_contexts", None)
    table = []
    for route in flatten(routes) if flatten else routes:
        pattern = getattr(route, "path_regex", None)
        if pattern is not None:
            dependant = getattr(route, "dependant", None)
            guarded = dependant is not None and current_user in _calls(dependant)
            literal = getattr(route, "path", "").split("{")[0]
            table.append((literal, pattern, getattr(route, "methods", None), guarded))
    return table


def _calls(dependant: Dependant) -> Iterator[Any]:
    for dependency in dependant.dependencies:
        yield dependency.call
        yield from _calls(dependency)


def _no_body(receive: Receive) -> Receive:
    """``receive`` with an empty body in place of the one sent (left unread)."""
    given = False

    async def empty() -> Message:
        nonlocal given
        if given:  # what is left to wait for is the disconnect
            return await receive()
        given = True
        return {"type": "http.request", "body": b"", "more_body": False}

    return empty


def _retry_after(send: Send, error: Exception) -> Send:
    """``send`` adding a Retry-After header to the 429 that ``error`` becomes."""
    if not isinstance(error, RateLimitedError):
        return send

    async def sending(message: Message) -> None:
        if message["type"] == "http.response.start" and message["status"] == 429:
            header = (b"retry-after", str(error.retry_after).encode())
            message = {**message, "headers": [*message.get("headers", []), header]}
        await send(message)

    return sending
