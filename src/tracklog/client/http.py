"""One keep-alive connection pool to a tracklog server: timeouts, gzip, errors as exceptions.

Request bodies of :data:`GZIP_MIN_BYTES` or more travel gzip-compressed, except to a server on
this machine (loopback), where compressing only costs CPU. Error answers become
the exceptions a local store raises (by their code in ``tracklog.errors.WIRE_ERRORS``), so
callers cannot tell the two apart; an unreachable server, a timeout, 408, 429 and 5xx →
``StoreUnavailableError``, which writers retry (``tracklog.errors.retryable``); any other 5xx
→ ``StoreError``, which they do not.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any

import httpx

from tracklog._version import __version__
from tracklog.client.hosts import is_loopback
from tracklog.client.settings import ClientSettings
from tracklog.errors import (
    RETRY_STATUSES,
    WIRE_ERRORS,
    AuthenticationError,
    InvalidValueError,
    StoreError,
    StoreUnavailableError,
    TracklogError,
)
from tracklog.store import json_output

GZIP_MIN_BYTES = 1024
JSON_TYPE = "application/json"

# Transports by server URL, for sessions given none: a test mounts its in-process app here so
# that code which opens its own client (``init()``, ``Api``, the CLI) reaches that app. Empty
# unless someone mounts one: then every session goes over the network.
mounted: dict[str, httpx.BaseTransport] = {}


class HttpSession:
    """Requests to the server at ``url``; thread-safe (httpx pools the connections).

    ``transport`` (default: the one :data:`mounted` for ``url``, else the network) carries the
    requests, e.g. to an app in this process."""

    def __init__(
        self, url: str, settings: ClientSettings, transport: httpx.BaseTransport | None = None
    ) -> None:
        self.url = url.strip().rstrip("/")
        self.compress = not is_loopback(self.url)
        headers = {"user-agent": f"tracklog/{__version__}"}
        if settings.token:
            headers["authorization"] = f"Bearer {settings.token}"
        self.client = httpx.Client(
            base_url=self.url,
            headers=headers,
            timeout=httpx.Timeout(settings.request_timeout, connect=settings.connect_timeout),
            # Plain http never uses TLS (redirects are not followed), and loading the CA bundle
            # for it costs ~0.1 s of CPU in every training process that starts a run.
            verify=not self.url.lower().startswith("http://"),
            transport=transport or mounted.get(self.url),
        )

    def close(self) -> None:
        """Close the pooled connections."""
        self.client.close()

    def call(
        self,
        method: str,
        path: str,
        body: Any = None,
        *,
        params: dict[str, Any] | None = None,
        timeout: float | None = None,
    ) -> Any:
        """Send ``body`` (if any) as JSON; return the decoded JSON answer (None when empty)."""
        content = None if body is None else json_output.wire_bytes(body)
        headers = {"content-type": JSON_TYPE} if content is not None else {}
        resp = self.send(method, path, content, headers=headers, params=params, timeout=timeout)
        return resp.json() if resp.content else None

    def send(
        self,
        method: str,
        path: str,
        content: bytes | Iterable[bytes] | None = None,
        *,
        headers: dict[str, str] | None = None,
        params: dict[str, Any] | None = None,
        timeout: float | None = None,
    ) -> httpx.Response:
        """One request; bytes bodies of 1 KiB or more are gzipped (unless the server is on
        loopback). Raises as described above."""
        headers = dict(headers or {})
        if self.compress and isinstance(content, bytes) and len(content) >= GZIP_MIN_BYTES:
            # Level 1: most of the size win at a fraction of the CPU the training process shares.
            # (zlib.compress takes wbits only from Python 3.11 on.)
            gzip = zlib.compressobj(1, zlib.DEFLATED, 31)
            content = gzip.compress(content) + gzip.flush()
            headers["content-encoding"] = "gzip"
        extra: dict[str, Any] = {} if timeout is None else {"timeout": timeout}
        try:
            resp = self.client.request(
                method, path, content=content, headers=headers, params=params, **extra
            )
        except httpx.TransportError as exc:
            raise unreachable(self.url, exc) from exc
        if resp.status_code >= 400:
            raise error_for(resp, self.url)
        return resp

    @contextmanager
    def stream(self, path: str) -> Iterator[httpx.Response]:
        """A GET whose body is read in pieces (``iter_bytes``) inside the ``with`` block."""
        try:
            with self.client.stream("GET", path) as resp:
                if resp.status_code >= 400:
                    resp.read()
                    raise error_for(resp, self.url)
                yield resp
        except httpx.TransportError as exc:
            raise unreachable(self.url, exc) from exc


def unreachable(url: str, exc: Exception) -> StoreUnavailableError:
    """The error for a server that could not be reached or did not answer in time."""
    reason = str(exc) or type(exc).__name__
    return StoreUnavailableError(f"cannot reach the tracklog server at {url}: {reason}")


def error_for(resp: httpx.Response, url: str) -> TracklogError:
    """The exception a store would raise for the server's error answer ``resp``."""
    code, message = _error_body(resp)
    status = resp.status_code
    if status in RETRY_STATUSES:
        return StoreUnavailableError(f"the tracklog server at {url} failed ({status}): {message}")
    if status >= 500:
        return StoreError(f"the tracklog server at {url} failed ({status}): {message}")
    if status == 401:
        return AuthenticationError(f"the tracklog server at {url} refused the request: {message}")
    kind = next((k for k, _, c in WIRE_ERRORS if c == code), None)
    kind = kind or next((k for k, s, _ in WIRE_ERRORS if s == status), InvalidValueError)
    return kind(message)


def _error_body(resp: httpx.Response) -> tuple[str | None, str]:
    try:
        body = resp.json()
    except ValueError:
        return None, resp.text.strip()[:500] or resp.reason_phrase
    if not isinstance(body, dict):
        return None, str(body)[:500]
    message = body.get("message") or body.get("detail") or resp.reason_phrase
    return body.get("error"), str(message)
