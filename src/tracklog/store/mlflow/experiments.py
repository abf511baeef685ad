"""Projects as MLflow experiments: create by name, look up, search, rename, trash, tags.

A tracklog project *is* an MLflow experiment (the ``experiments`` table); this module adds
what MLflow asks of one beyond :meth:`Store.get_or_create_project`: experiment tags, search
with MLflow's filter grammar, and a trash that takes the experiment's runs along (as MLflow's
own store does). Experiment 0, "Default", is created by migration 0004.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from typing import Any

from sqlalchemy import Connection, insert, select, update

from tracklog.errors import AlreadyExistsError, InvalidValueError, NotFoundError
from tracklog.store import schema, validation
from tracklog.store.active_project import require_active_project
from tracklog.store.clock import now_ms
from tracklog.store.engine import reading, upsert, writing
from tracklog.store.query_limits import searching
from tracklog.store.records import ExperimentRecord
from tracklog.store.run_query import checked_lifecycle
from tracklog.store.search import among as ids_among
from tracklog.store.search import compare
from tracklog.store.search_parse import Comparison, parse_filter, parse_order_by
from tracklog.store.tracking import Store

_E = schema.experiments
_T = schema.experiment_tags
DEFAULT_ID = 0
#: Attribute name -> (experiments column, numeric?) for filters and order_by.
ATTRIBUTES: dict[str, tuple[str, bool]] = {
    "name": ("name", False),
    "experiment_id": ("id", True),
    "creation_time": ("created_at", True),
    "last_update_time": ("updated_at", True),
}


class Experiments:
    """The projects of one store as MLflow's experiments."""

    def __init__(self, store: Store) -> None:
        self.engine = store.engine
        self.artifact_root = store.location.artifact_root

    def create(self, name: str, tags: dict[str, str]) -> int:
        """Create experiment ``name`` with ``tags``; return its id. A taken name (even by one in
        the trash) is :class:`AlreadyExistsError`."""
        name = validation.name(name, "experiment name")
        rows = _tag_rows(tags)
        with writing(self.engine) as conn:
            stage = conn.execute(select(_E.c.lifecycle_stage).where(_E.c.name == name)).scalar()
            if stage is not None:
                where = " in the trash (restore or rename it)" if stage == "deleted" else ""
                raise AlreadyExistsError(f"Experiment '{name}' already exists{where}.")
            t = now_ms()
            exp_id = conn.execute(
                insert(_E)
                .values(
                    name=name,
                    artifact_location=self.artifact_root,
                    lifecycle_stage="active",
                    created_at=t,
                    updated_at=t,
                )
                .returning(_E.c.id)
            ).scalar_one()
            if rows:
                conn.execute(insert(_T), [{"experiment_id": exp_id, **r} for r in rows])
        return exp_id

    def get(self, experiment_id: int) -> ExperimentRecord:
        """The experiment with this id; raises :class:`NotFoundError` naming it."""
        with reading(self.engine) as conn:
            found = _load(conn, _E.c.id == experiment_id)
        if not found:
            raise _not_found(experiment_id)
        return found[0]

    def get_by_name(self, name: str) -> ExperimentRecord:
        """The experiment named ``name``; raises :class:`NotFoundError` naming it."""
        with reading(self.engine) as conn:
            found = _load(conn, _E.c.name == name)
        if not found:
            raise NotFoundError(f"Could not find experiment with name '{name}'")
        return found[0]

    def search(
        self,
        filter: str | None = None,
        order_by: Sequence[str] | None = None,
        lifecycle: str = "active",
        offset: int = 0,
        limit: int | None = None,
        among: Collection[int] | None = None,
    ) -> list[ExperimentRecord]:
        """Experiments matching ``filter`` (``name``, ``tags.KEY``, ``creation_time`` ...), sorted
        by ``order_by`` (default: newest first, then id), ``limit`` of them from ``offset``;
        only those whose id is in ``among`` unless it is None."""
        checked_lifecycle(lifecycle)
        conditions = [_condition(c) for c in parse_filter(filter, ATTRIBUTES)]
        if lifecycle != "all":
            conditions.append(_E.c.lifecycle_stage == lifecycle)
        if among is not None:
            conditions.append(ids_among(_E.c.id, among))
        order: list[Any] = []
        for term in parse_order_by(order_by, ATTRIBUTES):
            if term.kind != "attribute":
                raise InvalidValueError(
                    f"experiments are ordered by name, experiment_id, creation_time or "
                    f"last_update_time, not {term.kind}s"
                )
            order.append(_E.c[term.key].asc() if term.ascending else _E.c[term.key].desc())
        order += [_E.c.created_at.desc(), _E.c.id.asc()]
        stmt = select(_E.c.id).where(*conditions).order_by(*order).offset(offset)
        if limit is not None:
            stmt = stmt.limit(limit)
        with searching(self.engine) as conn:
            ids = list(conn.execute(stmt).scalars())
        with reading(self.engine) as conn:
            found = {e.id: e for e in _load(conn, _E.c.id.in_(ids))}
        return [found[i] for i in ids]

    def rename(self, experiment_id: int, new_name: str) -> None:
        """Give the experiment a new, unused name."""
        new_name = validation.name(new_name, "experiment name")
        with writing(self.engine) as conn:
            taken = conn.execute(select(_E.c.id).where(_E.c.name == new_name)).scalar()
            if taken is not None and taken != experiment_id:
                raise AlreadyExistsError(f"Experiment '{new_name}' already exists.")
            _touch(conn, experiment_id, name=new_name)

    def set_lifecycle(self, experiment_id: int, stage: str) -> None:
        """Move an experiment and its runs to the trash ("deleted") or back ("active")."""
        if stage == "deleted" and experiment_id == DEFAULT_ID:
            raise InvalidValueError("Cannot delete the default experiment '0'.")
        with writing(self.engine) as conn:
            _touch(conn, experiment_id, lifecycle_stage=stage)
            r = schema.runs
            conn.execute(
                update(r)
                .where(r.c.experiment_id == experiment_id, r.c.lifecycle_stage != stage)
                .values(lifecycle_stage=stage, deleted_at=now_ms() if stage == "deleted" else None)
            )

    def set_tag(self, experiment_id: int, key: str, value: str) -> None:
        """Set one experiment tag (overwriting the key's value)."""
        rows = [{"experiment_id": experiment_id, **r} for r in _tag_rows({key: value})]
        with writing(self.engine) as conn:
            require_active(conn, experiment_id)
            upsert(conn, _T, rows, ("experiment_id", "key"), ("value",))

    def delete_tag(self, experiment_id: int, key: str) -> None:
        """Remove one experiment tag; a missing key is :class:`NotFoundError`."""
        with writing(self.engine) as conn:
            require_active(conn, experiment_id)
            done = conn.execute(
                _T.delete().where(_T.c.experiment_id == experiment_id, _T.c.key == key)
            )
        if done.rowcount == 0:
            raise NotFoundError(f"No tag with name: {key} in experiment with id {experiment_id}")


def _tag_rows(tags: dict[str, str]) -> list[dict[str, str]]:
    return [
        {"key": validation.key(k, "tag key"), "value": validation.tag_value(v, k)}
        for k, v in tags.items()
    ]


def _touch(conn: Any, experiment_id: int, **values: Any) -> None:
    done = conn.execute(
        update(_E).where(_E.c.id == experiment_id).values(updated_at=now_ms(), **values)
    )
    if done.rowcount == 0:
        raise _not_found(experiment_id)


def require_active(conn: Connection, experiment_id: int) -> None:
    """The rule of every write into a project (:func:`require_active_project`: not in the
    trash), inside the caller's transaction, for an experiment named by id: one that does
    not exist is :class:`NotFoundError` in MLflow's words."""
    if not require_active_project(conn, experiment_id):
        raise _not_found(experiment_id)


def _not_found(experiment_id: int) -> NotFoundError:
    return NotFoundError(f"No Experiment with id={experiment_id} exists")


def _condition(c: Comparison) -> Any:
    if c.kind == "attribute":
        return compare(_E.c[c.key], c.op, c.value)
    if c.kind == "tag":
        matching = select(_T.c.experiment_id).where(
            _T.c.key == c.key, compare(_T.c.value, c.op, c.value)
        )
        return _E.c.id.in_(matching)
    raise InvalidValueError(f"experiments are filtered by attributes and tags, not {c.kind}s")


def _load(conn: Connection, where: Any) -> list[ExperimentRecord]:
    rows = conn.execute(select(_E).where(where)).all()
    ids = [r.id for r in rows]
    tags: dict[int, dict[str, str]] = {i: {} for i in ids}
    for t in conn.execute(select(_T).where(_T.c.experiment_id.in_(ids))):
        tags[t.experiment_id][t.key] = t.value
    return [
        ExperimentRecord(
            r.id,
            r.name,
            r.artifact_location,
            r.lifecycle_stage,
            r.created_at,
            r.updated_at,
            tags[r.id],
        )
        for r in rows
    ]
