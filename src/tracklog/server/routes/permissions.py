"""``/api/v1/projects/{project}/permissions``: who may read, edit or manage a project.

Each route needs MANAGE on the project (admins need nothing). Users and tokens themselves are
managed with ``tracklog users`` and ``tracklog tokens`` on the server's database.
"""

from __future__ import annotations

from typing import Any

from fastapi import Request, status
from pydantic import BaseModel

from tracklog.server.auth import GuardDep
from tracklog.server.encoding import wire_router
from tracklog.store.auth import AuthStore

router = wire_router(prefix="/api/v1", tags=["permissions"])


class Permission(BaseModel):
    permission: str


def _auth(request: Request) -> AuthStore:
    # Without --auth nothing is checked, but grants can still be prepared for later.
    return request.app.state.auth or AuthStore(request.app.state.store)


@router.get("/projects/{project:path}/permissions")
def list_permissions(project: str, request: Request, guard: GuardDep) -> Any:
    """Every user's permission on ``project``."""
    guard.require_project(project, "MANAGE")
    return {"permissions": _auth(request).grants(project=project)}


@router.put("/projects/{project:path}/permissions/{user}", status_code=status.HTTP_204_NO_CONTENT)
def grant(project: str, user: str, body: Permission, request: Request, guard: GuardDep) -> None:
    """Give ``user`` READ, EDIT or MANAGE on ``project`` (replacing what they had)."""
    guard.require_project(project, "MANAGE")
    _auth(request).grant(user, project, body.permission)


@router.delete(
    "/projects/{project:path}/permissions/{user}", status_code=status.HTTP_204_NO_CONTENT
)
def revoke(project: str, user: str, request: Request, guard: GuardDep) -> None:
    """Take away ``user``'s permission on ``project``."""
    guard.require_project(project, "MANAGE")
    _auth(request).revoke(user, project)
