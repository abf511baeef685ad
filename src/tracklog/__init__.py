"""tracklog: a self-hosted experiment tracker.

    import tracklog
    with tracklog.init(project="demo", config={"lr": 1e-3}) as run:
        run.log({"loss": 0.5})

Heavy modules (SQLAlchemy, numpy, pandas) load on first use, so ``import tracklog`` stays light.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from tracklog._version import __version__ as __version__
from tracklog.errors import (
    AlreadyExistsError,
    FilterSyntaxError,
    InvalidTypeError,
    InvalidValueError,
    NotFoundError,
    ProjectDeletedError,
    RunDeletedError,
    RunFinishedError,
    StoreError,
    TracklogError,
)

if TYPE_CHECKING:
    from tracklog.sdk import plot as plot
    from tracklog.sdk.alerts import AlertLevel
    from tracklog.sdk.api import Api
    from tracklog.sdk.artifact import Artifact
    from tracklog.sdk.fluent import (
        alert,
        define_metric,
        finish,
        init,
        log,
        mark_preempting,
        save,
        unwatch,
        watch,
    )
    from tracklog.sdk.init_compat import Settings
    from tracklog.sdk.login import login
    from tracklog.sdk.media import Audio, Histogram, Html, Image, Table, Text, Video
    from tracklog.sdk.run import Run
    from tracklog.sdk.stores import get_tracking_uri, set_tracking_uri
    from tracklog.sweeps.api import agent, sweep


__all__ = [
    "AlertLevel",
    "AlreadyExistsError",
    "Api",
    "Artifact",
    "Audio",
    "FilterSyntaxError",
    "Histogram",
    "Html",
    "Image",
    "InvalidTypeError",
    "InvalidValueError",
    "NotFoundError",
    "ProjectDeletedError",
    "Run",
    "RunDeletedError",
    "RunFinishedError",
    "Settings",
    "StoreError",
    "Table",
    "Text",
    "TracklogError",
    "Video",
    "agent",
    "alert",
    "config",
    "define_metric",
    "finish",
    "get_tracking_uri",
    "init",
    "log",
    "login",
    "mark_preempting",
    "plot",
    "run",
    "save",
    "set_tracking_uri",
    "summary",
    "sweep",
    "unwatch",
    "watch",
]

_LAZY = {
    "AlertLevel": "tracklog.sdk.alerts",
    "Settings": "tracklog.sdk.init_compat",
    "alert": "tracklog.sdk.fluent",
    "login": "tracklog.sdk.login",
    "watch": "tracklog.sdk.fluent",
    "unwatch": "tracklog.sdk.fluent",
    "Api": "tracklog.sdk.api",
    "Artifact": "tracklog.sdk.artifact",
    "Run": "tracklog.sdk.run",
    "Audio": "tracklog.sdk.media",
    "Histogram": "tracklog.sdk.media",
    "Html": "tracklog.sdk.media",
    "Image": "tracklog.sdk.media",
    "Table": "tracklog.sdk.media",
    "Text": "tracklog.sdk.media",
    "Video": "tracklog.sdk.media",
    "init": "tracklog.sdk.fluent",
    "log": "tracklog.sdk.fluent",
    "finish": "tracklog.sdk.fluent",
    "save": "tracklog.sdk.fluent",
    "define_metric": "tracklog.sdk.fluent",
    "mark_preempting": "tracklog.sdk.fluent",
    "set_tracking_uri": "tracklog.sdk.stores",
    "get_tracking_uri": "tracklog.sdk.stores",
    "sweep": "tracklog.sweeps.api",
    "agent": "tracklog.sweeps.api",
}


def __getattr__(name: str) -> Any:
    """Load the SDK on first use; ``run``, ``config`` and ``summary`` follow the current run."""
    import importlib

    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    if name == "plot":
        return importlib.import_module("tracklog.sdk.plot")
    if name in ("run", "config", "summary"):
        from tracklog.sdk.fluent import current_run

        run = current_run()
        if name == "run" or run is None:
            return run
        return getattr(run, name)
    raise AttributeError(f"module 'tracklog' has no attribute {name!r}")
