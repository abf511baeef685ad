"""Serve the web UI: ``/`` is its page, ``/ui/`` its modules, ``/ui/plotly.min.js`` the copy of
plotly.js bundled with the ``plotly`` Python package (so nothing is built or fetched)."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from fastapi import FastAPI
from fastapi.responses import FileResponse
from fastapi.staticfiles import StaticFiles

STATIC = Path(__file__).parent / "static"


@cache
def plotly_js() -> Path:
    """The minified plotly.js that ships inside the ``plotly`` Python package."""
    import plotly

    path = Path(plotly.__file__).parent / "package_data" / "plotly.min.js"
    if not path.is_file():
        raise RuntimeError(f"the plotly package has no bundled plotly.js at {path}")
    return path


def mount_ui(app: FastAPI) -> None:
    """Add the UI's routes to ``app`` (they need no credentials: they hold no data)."""

    @app.get("/", include_in_schema=False)
    def index() -> FileResponse:
        return FileResponse(STATIC / "index.html", headers={"Cache-Control": "no-cache"})

    @app.get("/ui/plotly.min.js", include_in_schema=False)
    def plotly_bundle() -> FileResponse:
        return FileResponse(plotly_js(), media_type="text/javascript")

    app.mount("/ui", StaticFiles(directory=STATIC), name="ui")
