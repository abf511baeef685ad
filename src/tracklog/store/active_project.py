"""The rule of every write into a project: the project is not in the trash.

A new, resumed or imported run, an MLflow experiment tag or logged model: each write checks
it (:func:`require_active_project`, :func:`active_project_id`) inside its own transaction, so
a project moved to the trash while the write runs cannot take it. :func:`check_active` words
the refusal, once, for every path (the MLflow routes answer it in MLflow's words, from the
error's ``project_id``).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, bindparam, select

from tracklog.errors import ProjectDeletedError
from tracklog.store import schema

_E = schema.experiments
# Built once (a run's creation is hot). The row stays share-locked until the transaction ends
# (PostgreSQL; SQLite's writers take turns anyway), so a move to the trash waits for the write
# and takes its new run along, or commits first and the write sees it.
_LOCKED = select(_E.c.id, _E.c.name, _E.c.lifecycle_stage).with_for_update(read=True)
_BY_ID = _LOCKED.where(_E.c.id == bindparam("project_id"))
_BY_NAME = _LOCKED.where(_E.c.name == bindparam("name"))


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
    own words)."""
    return _checked(conn.execute(_BY_ID, {"project_id": project_id}).first()) is not None


def active_project_id(conn: Connection, name: str) -> int | None:
    """Inside a write transaction: the id of project ``name`` once checked to be active
    (:func:`check_active`); None if there is no such project."""
    return _checked(conn.execute(_BY_NAME, {"name": name}).first())


def _checked(row: Any) -> int | None:  # a Row of _LOCKED, or None
    if row is None:
        return None
    check_active(row.name, row.id, row.lifecycle_stage)
    return int(row.id)
