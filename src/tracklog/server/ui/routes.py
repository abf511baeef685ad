"""Serve the web UI: ``/`` is its page, ``/ui/`` its modules, ``/ui/plotly.min.js`` the copy of
plotly.js bundled with the ``plotly`` Python package (so nothing is built or fetched), and
``/ui/plotly-basic.min.js`` plotly.js's partial bundle of line charts, vendored in ``vendor/``
(``scripts/update_plotly_basic.sh``): a quarter of the size, for pages that only draw lines."""

from __future__ import annotations

import contextlib
import gzip
import hashlib
import threading
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.responses import FileResponse, Response
from fastapi.staticfiles import StaticFiles

STATIC = Path(__file__).parent / "static"
FULL_BUNDLE = "plotly.min.js"
BASIC_BUNDLE = "plotly-basic.min.js"
# The bundle's URL never names its version, so a browser keeps it a day and then revalidates
# it (ETag): an upgraded plotly shows within a day, and a visit within it costs no request.
BUNDLE_MAX_AGE_S = 86_400


# V8's explicit compile hint (Chrome 136+): compile every function of the file eagerly, on the
# background thread that parses it while it downloads, instead of lazily on the main thread
# as plotly's start-up calls them (the full 4.8 MB factory function alone is parsed twice
# otherwise). A first visit's main-thread task running plotly.js takes about a third less
# (0.94 → 0.59 s, headless chromium 150 at load 5); the cost is a larger code cache, which
# the second visit serializes (~50 ms more). Other browsers ignore the comment.
COMPILE_HINT = b"//# allFunctionsCalledOnLoad\n"


@dataclass(frozen=True)
class Bundle:
    """A plotly.js bundle as sent (its file after :data:`COMPILE_HINT`): plain, gzipped
    (4.8 MB → 1.5 MB for the full one) and its entity tag."""

    plain: bytes
    gzipped: bytes
    etag: str


_bundle_lock = threading.Lock()  # one compression per process, whoever asks first
_warming = threading.Event()


def plotly_bundle(name: str = FULL_BUNDLE) -> Bundle:
    """The bundle ``name``: the full minified plotly.js that ships inside the ``plotly``
    Python package, or the vendored basic one; read and compressed once per process (about
    0.3 s of CPU for the full one)."""
    with _bundle_lock:
        return _read_bundle(name)


def warm_plotly_bundle() -> None:
    """Start compressing both bundles in the background, once per process: the UI's first
    page asks for one, so the chart page it leads to does not wait for the compression."""
    if _warming.is_set():
        return
    _warming.set()

    def warm() -> None:
        for name in (BASIC_BUNDLE, FULL_BUNDLE):
            with contextlib.suppress(RuntimeError):  # a bundle missing: its request says so
                plotly_bundle(name)

    threading.Thread(target=warm, name="tracklog-plotly-gzip", daemon=True).start()


def _bundle_path(name: str) -> Path:
    if name == BASIC_BUNDLE:
        return Path(__file__).parent / "vendor" / BASIC_BUNDLE
    import plotly

    return Path(plotly.__file__).parent / "package_data" / FULL_BUNDLE


@cache
def _read_bundle(name: str) -> Bundle:
    path = _bundle_path(name)
    if not path.is_file():
        raise RuntimeError(f"no plotly.js bundle at {path}")
    plain = COMPILE_HINT + path.read_bytes()
    etag = f'"{hashlib.sha256(plain).hexdigest()[:32]}"'
    return Bundle(plain, gzip.compress(plain, compresslevel=6, mtime=0), etag)


def mount_ui(app: FastAPI) -> None:
    """Add the UI's routes to ``app`` (they need no credentials: they hold no data)."""

    @app.get("/", include_in_schema=False)
    def index() -> FileResponse:
        warm_plotly_bundle()
        return FileResponse(STATIC / "index.html", headers={"Cache-Control": "no-cache"})

    # Ahead of the static files: the bundles are sent compressed, with a compile hint.
    for name in (FULL_BUNDLE, BASIC_BUNDLE):
        app.get(f"/ui/{name}", include_in_schema=False)(_bundle_route(name))

    app.mount("/ui", StaticFiles(directory=STATIC), name="ui")


def _bundle_route(name: str) -> Callable[[Request], Response]:
    """The handler of bundle ``name``: gzipped where the client takes it, cached a day, and
    answered 304 when the client's copy is current."""

    def plotly_js(request: Request) -> Response:
        bundle = plotly_bundle(name)
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

    return plotly_js
