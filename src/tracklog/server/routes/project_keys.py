"""``GET /api/v1/projects/{name}/keys``: the config, metric and tag keys of a project's runs."""

from __future__ import annotations

from typing import Any

from tracklog.errors import NotFoundError
from tracklog.server.auth import GuardDep
from tracklog.server.encoding import wire_router
from tracklog.server.state import StoreDep

router = wire_router(prefix="/api/v1", tags=["projects"])


@router.get("/projects/{name}/keys")
def list_project_keys(
    name: str, store: StoreDep, guard: GuardDep, lifecycle: str = "active"
) -> Any:
    """Sorted distinct ``params`` (flattened config), ``metrics`` (summary) and ``tags`` keys
    over the project's runs in ``lifecycle`` ("active", "deleted" or "all")."""
    if not guard.require_project(name, "READ"):
        raise NotFoundError(f"no project named {name!r}")
    return store.project_keys(name, lifecycle)
