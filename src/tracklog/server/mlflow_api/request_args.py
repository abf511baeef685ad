"""Request arguments as a FastAPI dependency, and MLflow's repeated key/value messages.

With the arguments read by a dependency, a route can be a plain ``def``: FastAPI runs it in a
worker thread, so store calls never block the event loop.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends

from tracklog.server.mlflow_api.errors import invalid
from tracklog.server.mlflow_api.routing import Args

ArgsDep = Annotated[Args, Depends(Args.read)]


def pairs(args: Args, name: str) -> dict[str, Any]:
    """A repeated ``{"key", "value"}`` argument (tags, params) as a dict, in request order."""
    out: dict[str, Any] = {}
    for i, item in enumerate(args.list(name)):
        if not isinstance(item, dict) or not isinstance(item.get("key"), str):
            raise invalid(f"{name}[{i}] must be an object with a string 'key', got {item!r}")
        out[item["key"]] = item.get("value", "")
    return out
