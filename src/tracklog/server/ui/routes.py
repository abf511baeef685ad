"""Serve the web UI: ``/`` is its page, ``/ui/`` its modules, ``/ui/plotly.min.js`` the copy of
plotly.js bundled with the ``plotly`` Python package (so nothing is built or fetched)."""

from __future__ import annotations

import contextlib
import gzip
import hashlib
import threading
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.responses import FileResponse, Response
from fastapi.staticfiles import StaticFiles

STATIC = Path(__file__).parent / "static"
# The bundle's URL never names its version, so a browser keeps it a day and then revalidates
# it (ETag): an upgraded plotly shows within a day, and a visit within it costs no request.
BUNDLE_MAX_AGE_S = 86_400


# V8's explicit compile hint (Chrome 136+): compile every function of the file eagerly, on the
# background thread that parses it while it downloads, instead of lazily on the main thread
# as plotly's start-up calls them (its 4.8 MB factory function alone is parsed twice
# otherwise). A first visit's main-thread task running plotly.js takes about a third less
# (0.94 → 0.59 s, headless chromium 150 at load 5); the cost is a larger code cache, which
# the second visit serializes (~50 ms more). Other browsers ignore the comment.
COMPILE_HINT = b"//# allFunctionsCalledOnLoad\n"


@dataclass(frozen=True)
class Bundle:
    """plotly.js as sent (the package's file after :data:`COMPILE_HINT`): plain, gzipped
    (4.8 MB → 1.5 MB) and its entity tag."""

    plain: bytes
    gzipped: bytes
    etag: str


_bundle_lock = threading.Lock()  # one compression per process, whoever asks first
_warming = threading.Event()


def plotly_bundle() -> Bundle:
    """The minified plotly.js that ships inside the ``plotly`` Python package, read and
    compressed once per process (about 0.3 s of CPU)."""
    with _bundle_lock:
        return _read_bundle()


def warm_plotly_bundle() -> None:
    """Start compressing plotly.js in the background, once per process: the UI's first page
    asks for it, so the chart page it leads to does not wait ~0.3 s for the compression."""
    if _warming.is_set():
        return
    _warming.set()

    def warm() -> None:
        with contextlib.suppress(RuntimeError):  # no bundled plotly.js: its request says so
            plotly_bundle()

    threading.Thread(target=warm, name="tracklog-plotly-gzip", daemon=True).start()


@cache
def _read_bundle() -> Bundle:
    import plotly

    path = Path(plotly.__file__).parent / "package_data" / "plotly.min.js"
    if not path.is_file():
        raise RuntimeError(f"the plotly package has no bundled plotly.js at {path}")
    plain = COMPILE_HINT + path.read_bytes()
    etag = f'"{hashlib.sha256(plain).hexdigest()[:32]}"'
    return Bundle(plain, gzip.compress(plain, compresslevel=6, mtime=0), etag)


def mount_ui(app: FastAPI) -> None:
    """Add the UI's routes to ``app`` (they need no credentials: they hold no data)."""

    @app.get("/", include_in_schema=False)
    def index() -> FileResponse:
        warm_plotly_bundle()
        return FileResponse(STATIC / "index.html", headers={"Cache-Control": "no-cache"})

    @app.get("/ui/plotly.min.js", include_in_schema=False)
    def plotly_js(request: Request) -> Response:
        bundle = plotly_bundle()
        headers = {
            "Cache-Control": f"public, max-age={BUNDLE_MAX_AGE_S}",
            "ETag": bundle.etag,
            "Vary": "Accept-Encoding",
        }
        if bundle.etag in request.headers.get("if-none-match", ""):
            return Response(status_code=304, headers=headers)
        if "gzip" in request.headers.get("accept-encoding", ""):
            headers["Content-Encoding"] = "gzip"
            return Response(bundle.gzipped, media_type="text/javascript", headers=headers)
        return Response(bundle.plain, media_type="text/javascript", headers=headers)

    app.mount("/ui", StaticFiles(directory=STATIC), name="ui")
