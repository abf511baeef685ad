"""``/api/v1/projects``: the projects the caller may read."""

from __future__ import annotations

from typing import Any

from tracklog.server.auth import GuardDep
from tracklog.server.encoding import wire_router
from tracklog.server.state import StoreDep

router = wire_router(tags=["projects"])


@router.get("/api/v1/projects")
def list_projects(store: StoreDep, guard: GuardDep, name: str | None = None) -> Any:
    """Every readable project (or only the one called ``name``) with its run count and last
    activity."""
    return {"projects": guard.visible(store.projects(name))}
