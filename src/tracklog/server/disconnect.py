"""Searches stop when their client leaves: :class:`CancelOnDisconnect` gives every HTTP request
a :class:`~tracklog.store.query_limits.Cancellation` and trips it when the client disconnects,
so a search of a client that gave up does not keep a database backend busy.

The disconnect is watched once a search starts (so requests that do not search pay nothing for
it) and the route has read the whole request body (before that, the route's own reads see it),
until the response is sent; a route that reads no body (a GET that FastAPI does not read) is not
watched: none of them searches.
"""

from __future__ import annotations

import asyncio

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from tracklog.store.query_limits import CANCELLATION, Cancellation


class CancelOnDisconnect:
    """ASGI middleware: the request's cancellation, tripped when its client disconnects."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        loop = asyncio.get_running_loop()
        watcher: asyncio.Task[Message] | None = None
        body_read = answered = False

        def start_watching() -> None:
            nonlocal watcher
            if watcher is None and body_read and not answered:
                watcher = asyncio.ensure_future(watch())

        cancellation = Cancellation(on_search=lambda: loop.call_soon_threadsafe(start_watching))

        async def watch() -> Message:
            message = await receive()
            while message["type"] != "http.disconnect":
                message = await receive()
            if not answered:  # (the server reports a disconnect once the answer is sent, too)
                # Cancelling on PostgreSQL opens a connection to it: not on the event loop.
                await loop.run_in_executor(None, cancellation.cancel)
            return message

        async def receiving() -> Message:
            nonlocal body_read
            if body_read:  # what comes after the body is read by the watcher, for both
                start_watching()
                if watcher is not None:
                    return await asyncio.shield(watcher)
            message = await receive()
            if message["type"] == "http.request" and not message.get("more_body", False):
                body_read = True
            return message

        async def sending(message: Message) -> None:
            nonlocal answered
            if message["type"] == "http.response.body" and not message.get("more_body", False):
                answered = True
            await send(message)

        token = CANCELLATION.set(cancellation)
        try:
            await self.app(scope, receiving, sending)
        finally:
            CANCELLATION.reset(token)
            if watcher is not None and not watcher.done():
                watcher.cancel()  # nothing reads on: the route has returned
