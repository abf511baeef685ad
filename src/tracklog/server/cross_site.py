"""No cross-site request forgery: a browser on another site cannot make the server change
anything on its user's behalf.

A page elsewhere (or logged HTML in a sandboxed frame, whose origin is opaque) can make its
visitor's browser send a "simple" POST without asking first: a form, or ``fetch`` with a
``text/plain`` body, which MLflow's routes read as JSON; the browser adds the credentials it
holds for this server. Browsers say where a request comes from (``Sec-Fetch-Site``, and
``Origin`` on every POST), so a state-changing request from another site, or from an opaque
origin, is refused with 403 before any route runs. Programs (the SDK, the mlflow client,
curl) send neither header and are not affected.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from starlette.types import ASGIApp, Receive, Scope, Send

from tracklog.server.errors import error_for

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
# Sec-Fetch-Site values of requests this server's own pages, or the user, started.
_OWN = frozenset({b"same-origin", b"none"})


class RefuseCrossSite:
    """Answer 403 to an unsafe-method request a browser sent from another site or origin."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] not in SAFE_METHODS:
            where = _foreign(dict(scope["headers"]))
            if where is not None:
                message = (
                    f"a {scope['method']} request from another site ({where}) is refused: a "
                    "page elsewhere cannot change this server's data through your browser"
                )
                response = error_for(scope["path"], 403, "CROSS_SITE_REQUEST", message)
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)


def _foreign(headers: dict[bytes, bytes]) -> str | None:
    """What says the request came from elsewhere, or None if nothing does."""
    site = headers.get(b"sec-fetch-site")
    if site is not None and site not in _OWN:
        return f"Sec-Fetch-Site: {site.decode('latin-1')}"
    origin = headers.get(b"origin")
    if origin is None:
        return None
    text = origin.decode("latin-1")
    host = headers.get(b"host", b"").decode("latin-1")
    if text == "null" or urlsplit(text).netloc != host:
        return f"Origin: {text}"
    return None
