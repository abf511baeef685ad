"""Searches stop when their client leaves: :class:`CancelOnDisconnect` gives every HTTP request
a :class:`~tracklog.store.query_limits.Cancellation` and trips it when the client disconnects,
so a search of a client that gave up does not keep a database backend busy.

The disconnect is watched from the moment the route has read the whole request body (before
that, the route's own reads see it) until the response is sent; routes that read no body (GET
without one) are not watched, and none of them searches.
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
        cancellation = Cancellation()
        watcher: asyncio.Task[Message] | None = None
        answered = False

        async def watch() -> Message:
            message = await receive()
            while message["type"] != "http.disconnect":
                message = await receive()
            if not answered:  # (the server reports a disconnect once the answer is sent, too)
                # Cancelling on PostgreSQL opens a connection to it: not on the event loop.
                await asyncio.get_running_loop().run_in_executor(None, cancellation.cancel)
            return message

        async def receiving() -> Message:
            nonlocal watcher
            if watcher is not None:  # the watcher reads what comes after the body
                return await asyncio.shield(watcher)
            message = await receive()
            if message["type"] == "http.request" and not message.get("more_body", False):
                watcher = asyncio.ensure_future(watch())
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
