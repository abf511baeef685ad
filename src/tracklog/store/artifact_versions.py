"""Versioned artifacts in SQL: versions v0, v1, … per (project, name), each created only when
its manifest's digest is new; aliases (``latest`` on the newest); which runs used which version."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, delete, func, select

from tracklog.errors import InvalidValueError, NotFoundError
from tracklog.store import schema, stored_json
from tracklog.store.artifact_names import LATEST, version_number
from tracklog.store.artifact_records import ArtifactVersion, ManifestEntry
from tracklog.store.engine import execute_rows, insert_missing, upsert

_A = schema.artifacts
_V = schema.artifact_versions
_M = schema.artifact_entries
_AL = schema.artifact_aliases
_U = schema.artifact_usage
_E = schema.experiments
_COLUMNS = (
    _V.c.id,
    _V.c.artifact_id,
    _E.c.name.label("project"),
    _A.c.name,
    _A.c.type,
    _A.c.description,
    _V.c.version,
    _V.c.digest,
    _V.c.run_id,
    _V.c.size,
    _V.c.file_count,
    _V.c.created_at,
    _V.c.metadata,
)
_JOINED = _V.join(_A, _A.c.id == _V.c.artifact_id).join(_E, _E.c.id == _A.c.experiment_id)


def _artifact_id(
    conn: Connection, experiment_id: int, name: str, type_: str, description: str | None, now: int
) -> int:
    """The id of the artifact, created if missing, locked for this transaction (PostgreSQL;
    SQLite's writers hold the whole file) so versions are numbered one at a time."""
    row = {"experiment_id": experiment_id, "name": name, "type": type_, "created_at": now}
    insert_missing(conn, _A, [{**row, "description": description}], ("experiment_id", "name"))
    found = conn.execute(
        select(_A.c.id, _A.c.type)
        .where(_A.c.experiment_id == experiment_id, _A.c.name == name)
        .with_for_update()
    ).one()
    if found.type != type_:
        raise InvalidValueError(
            f"artifact {name!r} has type {found.type!r}; a version of type {type_!r} cannot join it"
        )
    if description is not None:
        conn.execute(_A.update().where(_A.c.id == found.id).values(description=description))
    return int(found.id)


def log_version(
    conn: Connection,
    experiment_id: int,
    name: str,
    type_: str,
    entries: Sequence[ManifestEntry],
    digest: str,
    *,
    description: str | None,
    metadata: dict[str, Any],
    run_id: str | None,
    aliases: Sequence[str],
    now: int,
) -> tuple[ArtifactVersion, bool]:
    """Inside a write transaction: the version of ``name`` holding ``entries`` (checked,
    with their ``digest``), created unless one with that digest exists; ``aliases`` (checked)
    are moved to it and ``latest`` to the newest. Returns it and whether it is new."""
    art = _artifact_id(conn, experiment_id, name, type_, description, now)
    found = conn.execute(
        select(_V.c.id).where(_V.c.artifact_id == art, _V.c.digest == digest)
    ).scalar()
    created = found is None
    if found is None:
        last = conn.execute(select(func.max(_V.c.version)).where(_V.c.artifact_id == art))
        number = last.scalar()
        row = {
            "artifact_id": art,
            "version": 0 if number is None else number + 1,
            "digest": digest,
            "metadata": json.dumps(metadata),
            "run_id": run_id,
            "size": sum(e.size or 0 for e in entries),
            "file_count": len(entries),
            "created_at": now,
        }
        found = conn.execute(_V.insert().values(row).returning(_V.c.id)).scalar_one()
        execute_rows(
            conn,
            _M.insert(),
            [
                {"version_id": found, "path": e.path, "sha256": e.sha256, "size": e.size}
                | {"ref": e.ref}
                for e in entries
            ],
        )
    newest = conn.execute(
        select(_V.c.id).where(_V.c.artifact_id == art).order_by(_V.c.version.desc()).limit(1)
    ).scalar_one()
    moved = [{"artifact_id": art, "alias": a, "version_id": found} for a in aliases if a != LATEST]
    moved.append({"artifact_id": art, "alias": LATEST, "version_id": newest})
    upsert(conn, _AL, moved, ("artifact_id", "alias"), ("version_id",))
    return _record(conn, _one(conn, _V.c.id == found)), created


def find(conn: Connection, experiment_id: int, name: str, selector: str) -> ArtifactVersion:
    """The version of artifact ``name`` that ``selector`` (``vN`` or an alias) names; a
    missing one is :class:`NotFoundError` naming the versions and aliases there are."""
    art = conn.execute(
        select(_A.c.id).where(_A.c.experiment_id == experiment_id, _A.c.name == name)
    ).scalar()
    if art is None:
        raise NotFoundError(f"there is no artifact {name!r} in this project")
    number = version_number(selector)
    if number is not None:
        row = _one(conn, _V.c.artifact_id == art, _V.c.version == number)
    else:
        at = select(_AL.c.version_id).where(_AL.c.artifact_id == art, _AL.c.alias == selector)
        row = _one(conn, _V.c.id == at.scalar_subquery())
    if row is None:
        versions = conn.execute(
            select(_V.c.version).where(_V.c.artifact_id == art).order_by(_V.c.version)
        ).scalars()
        names = conn.execute(
            select(_AL.c.alias).where(_AL.c.artifact_id == art).order_by(_AL.c.alias)
        ).scalars()
        raise NotFoundError(
            f"artifact {name!r} has no version {selector!r}; it has versions "
            f"{', '.join(f'v{v}' for v in versions)} and aliases {', '.join(names)}"
        )
    return _record(conn, row)


def version_id(conn: Connection, version: ArtifactVersion) -> int:
    """The row id of ``version`` (one :func:`find` returned)."""
    return int(
        conn.execute(
            select(_V.c.id)
            .join(_A, _A.c.id == _V.c.artifact_id)
            .join(_E, _E.c.id == _A.c.experiment_id)
            .where(
                _E.c.name == version.project,
                _A.c.name == version.name,
                _V.c.version == version.version,
            )
        ).scalar_one()
    )


def entries(conn: Connection, version_pk: int) -> list[ManifestEntry]:
    """The manifest of a version, by path."""
    rows = conn.execute(select(_M).where(_M.c.version_id == version_pk).order_by(_M.c.path))
    return [ManifestEntry(r.path, r.sha256, r.size, r.ref) for r in rows]


def record_use(conn: Connection, version_pk: int, run_id: str, now: int) -> None:
    """Record that the run used the version (once)."""
    row = {"version_id": version_pk, "run_id": run_id, "used_at": now}
    insert_missing(conn, _U, [row], ("version_id", "run_id"))


def users(conn: Connection, version_pk: int) -> list[str]:
    """The ids of the runs that used the version, in the order they first did."""
    stmt = select(_U.c.run_id).where(_U.c.version_id == version_pk)
    return list(conn.execute(stmt.order_by(_U.c.used_at, _U.c.run_id)).scalars())


def logged_by_run(conn: Connection, run_id: str) -> list[ArtifactVersion]:
    """The versions the run created, oldest first."""
    rows = conn.execute(
        select(*_COLUMNS).select_from(_JOINED).where(_V.c.run_id == run_id).order_by(_V.c.id)
    )
    return [_record(conn, r) for r in rows]


def used_by_run(conn: Connection, run_id: str) -> list[ArtifactVersion]:
    """The versions the run used, in the order it first did."""
    rows = conn.execute(
        select(*_COLUMNS)
        .select_from(_JOINED.join(_U, _U.c.version_id == _V.c.id))
        .where(_U.c.run_id == run_id)
        .order_by(_U.c.used_at, _V.c.id)
    )
    return [_record(conn, r) for r in rows]


def set_aliases(conn: Connection, version: ArtifactVersion, aliases: Sequence[str]) -> None:
    """Make ``aliases`` (checked) the version's aliases: added ones move here from other
    versions, ones it loses are dropped; ``latest`` stays with the newest version."""
    pk = version_id(conn, version)
    art = conn.execute(select(_V.c.artifact_id).where(_V.c.id == pk)).scalar_one()
    keep = [a for a in aliases if a != LATEST]
    conn.execute(
        delete(_AL).where(_AL.c.version_id == pk, _AL.c.alias != LATEST, _AL.c.alias.not_in(keep))
    )
    rows = [{"artifact_id": art, "alias": a, "version_id": pk} for a in keep]
    upsert(conn, _AL, rows, ("artifact_id", "alias"), ("version_id",))


def _one(conn: Connection, *where: Any) -> Any:
    return conn.execute(select(*_COLUMNS).select_from(_JOINED).where(*where)).first()


def _record(conn: Connection, row: Any) -> ArtifactVersion:
    aliases = conn.execute(
        select(_AL.c.alias).where(_AL.c.version_id == row.id).order_by(_AL.c.alias)
    ).scalars()
    return ArtifactVersion(
        project=row.project,
        name=row.name,
        type=row.type,
        description=row.description,
        version=row.version,
        digest=row.digest,
        run_id=row.run_id,
        size=row.size,
        file_count=row.file_count,
        created_at=row.created_at,
        metadata=stored_json.loads(row.metadata),
        aliases=list(aliases),
    )
