"""The rule of every write into a project: the project is not in the trash.

A new, resumed or imported run, an MLflow experiment tag or logged model: each write calls
:func:`require_active_project` inside its own transaction, so a project moved to the trash
while the write runs cannot take it; :func:`check_active` words the refusal, once, for every
path (the MLflow routes answer it in MLflow's words, from the error's ``project_id``).
"""

from __future__ import annotations

from sqlalchemy import Connection, select

from tracklog.errors import ProjectDeletedError
from tracklog.store import schema

_E = schema.experiments


def check_active(name: str, project_id: int, lifecycle_stage: str) -> None:
    """Raise :class:`ProjectDeletedError` unless the project is active."""
    if lifecycle_stage != "active":
        raise ProjectDeletedError(
            f"project {name!r} is in the trash; restore it (MLflow: restore_experiment) "
            "before writing to it",
            project_id,
        )


def require_active_project(conn: Connection, project_id: int) -> bool:
    """Inside a write transaction: check that project ``project_id`` is active
    (:func:`check_active`); False if there is no such project (the caller says so in its
    own words).

    The row stays share-locked until the transaction ends (PostgreSQL; SQLite's writers take
    turns anyway), so a move to the trash waits for this write and takes its new run along,
    or commits first and this write sees it."""
    row = conn.execute(
        select(_E.c.name, _E.c.lifecycle_stage)
        .where(_E.c.id == project_id)
        .with_for_update(read=True)
    ).first()
    if row is None:
        return False
    check_active(row.name, project_id, row.lifecycle_stage)
    return True
