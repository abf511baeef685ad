"""``/api/v1/projects`` and ``/health``."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from tracklog.server.encoding import WireJSON
from tracklog.server.state import StoreDep

router = APIRouter(tags=["projects"], default_response_class=WireJSON)


@router.get("/health")
def health() -> Any:
    """The server answers."""
    return {"status": "ok"}


@router.get("/api/v1/projects")
def list_projects(store: StoreDep) -> Any:
    """Every project with its run count and last activity."""
    return {"projects": store.projects()}
