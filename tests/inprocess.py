"""The server's ASGI app in this process, reached by ordinary sync httpx clients.

:class:`InProcessServer` runs the app, its lifespan entered (store opened, sweeper started), on
an event loop in a thread, as uvicorn would; :class:`AppTransport` hands each request to it and
streams the answer back as it is sent, so server-sent events arrive one by one and closing a
response is the client's disconnect. A test then talks to the app through ``httpx.Client``,
``RemoteStore``, ``init()`` or ``Api`` exactly as to a ``tracklog server`` process, without the
second or so a process takes to start. :class:`SocketServer` serves the app with uvicorn on
a loopback port from a thread, for clients that bring their own HTTP stack (the mlflow
client, other processes). Tests that kill, restart or read the output of a server, or run
several workers, keep ``ServerProcess``.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import queue
import threading
import time
from collections.abc import Coroutine, Iterator, MutableMapping
from concurrent.futures import Future
from concurrent.futures import TimeoutError as FutureTimeout
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

import httpx
import uvicorn
from fastapi import FastAPI

from tracklog.client import http
from tracklog.sdk import stores
from tracklog.server.app import create_app
from tracklog.server.settings import Settings

T = TypeVar("T")

# Each server its own name, so a client the SDK cached for an earlier one never reaches this
# one; not a loopback name, so the client gzips large bodies as it does to a server elsewhere;
# and under .invalid, which never resolves, so a request that misses the transport fails.
_NAMES = itertools.count(1)
_END = object()
_FAILED = "Exception in ASGI application"  # uvicorn's words


class AppTransport(httpx.BaseTransport):
    """Sends each request to the app on ``loop``; honours the request's read timeout."""

    def __init__(self, app: FastAPI, loop: asyncio.AbstractEventLoop) -> None:
        self.app, self.loop = app, loop

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        chunks = list(request.stream)  # type: ignore[arg-type]  # a sync client's stream
        timeout = request.extensions.get("timeout", {}).get("read")
        head: Future[tuple[int, list[tuple[bytes, bytes]]]] = Future()
        body: queue.Queue[object] = queue.Queue()
        left = asyncio.Event()  # set on the app's loop once the client closes the answer
        scope = {
            "type": "http",
            "asgi": {"version": "3.0"},
            "http_version": "1.1",
            "method": request.method,
            "scheme": request.url.scheme,
            "path": request.url.path,
            "raw_path": request.url.raw_path.split(b"?")[0],
            "query_string": request.url.query,
            "root_path": "",
            "headers": [(k.lower(), v) for k, v in request.headers.raw],
            "client": ("127.0.0.1", 50000),
            "server": (request.url.host, request.url.port or 80),
        }

        async def receive() -> dict[str, Any]:
            if chunks:
                return {"type": "http.request", "body": chunks.pop(0), "more_body": bool(chunks)}
            await left.wait()
            return {"type": "http.disconnect"}

        sent = asyncio.Event()  # the whole answer is sent

        async def send(message: MutableMapping[str, Any]) -> None:
            if message["type"] == "http.response.start":
                head.set_result((message["status"], list(message.get("headers", []))))
            elif message["type"] == "http.response.body":
                if request.method != "HEAD":
                    body.put(message.get("body", b""))
                if not message.get("more_body", False):
                    sent.set()

        async def serve() -> None:
            try:
                await self.app(scope, receive, send)
            except Exception as exc:  # what uvicorn does when the app fails: it logs it,
                logging.getLogger("uvicorn.error").error(_FAILED, exc_info=exc)
                if not head.done():  # a 500 if nothing was sent yet,
                    head.set_result((500, [(b"content-type", b"text/plain")]))
                    body.put(b"Internal Server Error")
                elif not sent.is_set():  # else the connection closes mid-answer
                    body.put(exc)
            finally:
                body.put(_END)

        if not chunks:
            chunks.append(b"")
        asyncio.run_coroutine_threadsafe(serve(), self.loop)
        try:
            status, headers = head.result(timeout)
        except FutureTimeout as exc:
            self.loop.call_soon_threadsafe(left.set)
            raise httpx.ReadTimeout("the app did not answer in time", request=request) from exc
        stream = _Body(body, timeout, lambda: self.loop.call_soon_threadsafe(left.set))
        return httpx.Response(status, headers=headers, stream=stream, request=request)


class _Body(httpx.SyncByteStream):
    """The answer's body as the app sends it; closing it disconnects the client."""

    def __init__(self, parts: queue.Queue[object], timeout: float | None, close: Any) -> None:
        self.parts, self.timeout, self._close = parts, timeout, close

    def __iter__(self) -> Iterator[bytes]:
        while True:
            try:
                part = self.parts.get(timeout=self.timeout)
            except queue.Empty:
                raise httpx.ReadTimeout("the app sent nothing in time") from None
            if part is _END:
                return
            if isinstance(part, Exception):
                raise httpx.RemoteProtocolError(f"the app failed mid-answer: {part!r}")
            assert isinstance(part, bytes)
            if part:
                yield part

    def close(self) -> None:
        self._close()


class InProcessServer:
    """``create_app(settings)`` running in this process; ``url`` is mounted for the SDK's
    clients while it runs (see :data:`tracklog.client.http.mounted`)."""

    def __init__(self, settings: Settings) -> None:
        self.url = f"http://tracklog-{next(_NAMES)}.invalid"
        self.app = create_app(settings)
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self._thread.start()
        self._lifespan = self.app.router.lifespan_context(self.app)
        self._call(self._lifespan.__aenter__())
        self.transport = AppTransport(self.app, self.loop)
        http.mounted[self.url] = self.transport

    def client(self, path: str = "", **kwargs: Any) -> httpx.Client:
        """An httpx client of ``url + path`` that reaches this app."""
        return httpx.Client(base_url=self.url + path, transport=self.transport, **kwargs)

    def close(self) -> None:
        del http.mounted[self.url]
        _forget(self.url)
        self._call(self._lifespan.__aexit__(None, None, None))
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join()
        self.loop.close()

    def _call(self, coro: Coroutine[Any, Any, T]) -> T:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result()


def _forget(url: str) -> None:
    """Close and drop the SDK's cached clients of the stopped server at ``url`` (a later
    socket server may get its port)."""
    for key in [key for key in stores.servers if key[0] == url]:
        stores.servers.pop(key).close()


@contextmanager
def in_process_server(
    store_uri: str, artifacts: Path, **settings: Any
) -> Iterator[InProcessServer]:
    """A server of the store ``store_uri`` (artifacts under ``artifacts``) in this process;
    ``settings`` as ``tracklog server``'s options (``auth=True``, ``max_body_bytes=...``)."""
    server = InProcessServer(
        Settings(backend_store_uri=store_uri, artifacts_destination=str(artifacts), **settings)
    )
    try:
        yield server
    finally:
        server.close()


class SocketServer:
    """uvicorn serving ``create_app(settings)`` on a free loopback port from a thread of this
    process: real HTTP on a real socket, for clients with their own HTTP stack (the mlflow
    client, other processes), without the second a ``tracklog server`` process takes to
    start. Tests that kill, restart or read the output of a server keep ``ServerProcess``."""

    def __init__(self, settings: Settings, timeout: float = 60.0) -> None:
        self.artifacts = Path(settings.artifacts_destination)
        config = uvicorn.Config(
            create_app(settings), host="127.0.0.1", port=0, log_level="warning", lifespan="on"
        )
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, daemon=True)
        self._thread.start()
        deadline = time.monotonic() + timeout  # a bound for a loaded machine, not a timing
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("uvicorn did not start (see its log above)")
            time.sleep(0.01)
        self.port: int = self._server.servers[0].sockets[0].getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"

    def close(self) -> None:
        self._server.should_exit = True
        self._thread.join()
        _forget(self.url)


@contextmanager
def socket_server(store_uri: str, artifacts: Path, **settings: Any) -> Iterator[SocketServer]:
    """:class:`SocketServer` of the store ``store_uri``; ``settings`` as for
    :func:`in_process_server`."""
    server = SocketServer(
        Settings(backend_store_uri=store_uri, artifacts_destination=str(artifacts), **settings)
    )
    try:
        yield server
    finally:
        server.close()


@contextmanager
def auth_socket_server(
    folder: Path, users: dict[str, bool], **settings: Any
) -> Iterator[tuple[SocketServer, dict[str, str]]]:
    """A :class:`SocketServer` with ``--auth`` on a new SQLite store in ``folder`` with
    ``users`` (name: is admin), and a token per user."""
    from tracklog.store.auth import AuthStore
    from tracklog.store.location import StoreLocation, resolve
    from tracklog.store.tracking import Store

    uri = f"sqlite:///{folder}/tracklog.db"
    store = Store(StoreLocation(resolve(uri).db_url, str(folder / "artifacts")))
    auth = AuthStore(store)
    for name, admin in users.items():
        auth.create_user(name, None, admin=admin)
    tokens = {name: auth.create_token(name, "tests").secret for name in users}
    store.close()
    with socket_server(uri, folder / "artifacts", auth=True, **settings) as server:
        yield server, tokens
