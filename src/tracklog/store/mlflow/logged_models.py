"""MLflow 3 logged models: a model's identity, status, params, tags and metrics, and which runs
produced it (``runs/outputs``).

A logged model belongs to an experiment; its files live under the artifact root at
``<experiment_id>/models/<model_id>/artifacts`` (written through the proxied artifact routes),
which is what its ``mlflow-artifacts:`` location says.
"""

from __future__ import annotations

import math
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, delete, insert, select, update

from tracklog.errors import InvalidValueError, NotFoundError
from tracklog.store import schema, validation
from tracklog.store.clock import now_ms
from tracklog.store.engine import batches, insert_missing, reading, upsert, writing
from tracklog.store.mlflow.entity_filter import Attribute, Grammar, Side
from tracklog.store.mlflow.experiments import require_active
from tracklog.store.query_limits import searching
from tracklog.store.search import among
from tracklog.store.tracking import Store

_L, _LP, _LT, _LM = (
    schema.logged_models,
    schema.logged_model_params,
    schema.logged_model_tags,
    schema.logged_model_metrics,
)
_O, _I, _R = schema.run_model_outputs, schema.run_model_inputs, schema.runs

STATUSES = ("PENDING", "READY", "UPLOAD_FAILED")

GRAMMAR = Grammar(
    "logged model",
    _L.c.id,
    {
        "name": Attribute(_L.c.name),
        "model_id": Attribute(_L.c.id),
        "model_type": Attribute(_L.c.model_type),
        "status": Attribute(_L.c.status),
        "source_run_id": Attribute(_L.c.source_run_id),
        "creation_timestamp": Attribute(_L.c.created_at, numeric=True),
        "creation_time": Attribute(_L.c.created_at, numeric=True, same_as="creation_timestamp"),
        "last_updated_timestamp": Attribute(_L.c.updated_at, numeric=True),
    },
    {
        "tag": Side(_LT, "model_id"),
        "param": Side(_LP, "model_id"),
        "metric": Side(_LM, "model_id", numeric=True),
    },
)


@dataclass(frozen=True)
class ModelMetric:
    """One metric value logged against a logged model."""

    key: str
    value: float
    step: int
    timestamp: int
    run_id: str | None = None
    dataset_name: str | None = None
    dataset_digest: str | None = None


@dataclass(frozen=True)
class LoggedModel:
    """A logged model with its params, tags and metrics."""

    model_id: str
    experiment_id: int
    name: str
    artifact_location: str
    status: str
    status_message: str
    model_type: str
    source_run_id: str | None
    created_at: int
    updated_at: int
    params: dict[str, str] = field(default_factory=dict)
    tags: dict[str, str] = field(default_factory=dict)
    metrics: list[ModelMetric] = field(default_factory=list)


@dataclass(frozen=True)
class ModelOutput:
    """A logged model a run produced, at a step."""

    model_id: str
    step: int


@dataclass
class RunModels:
    """The logged models a run used (``inputs``, model ids) and produced (``outputs``)."""

    inputs: list[str] = field(default_factory=list)
    outputs: list[ModelOutput] = field(default_factory=list)


def artifact_location(experiment_id: int, model_id: str) -> str:
    """The ``mlflow-artifacts:`` URI of a logged model's files."""
    return f"mlflow-artifacts:/{experiment_id}/models/{model_id}/artifacts"


def status(value: Any) -> str:
    """A logged model status; MLflow's ``LOGGED_MODEL_READY`` spelling is accepted too."""
    cleaned = value.removeprefix("LOGGED_MODEL_") if isinstance(value, str) else value
    if cleaned not in STATUSES:
        raise InvalidValueError(f"logged model status must be one of {STATUSES}, got {value!r}")
    return cleaned


class LoggedModels:
    """The logged models of one store. Thread-safe; cheap to create."""

    def __init__(self, store: Store) -> None:
        self.engine = store.engine

    def create(
        self,
        experiment_id: int,
        name: str | None = None,
        model_type: str = "",
        source_run_id: str | None = None,
        params: Mapping[str, str] | None = None,
        tags: Mapping[str, str] | None = None,
    ) -> LoggedModel:
        """A new PENDING logged model in experiment ``experiment_id``."""
        model_id = f"m-{uuid.uuid4().hex}"
        name = validation.name(name or "model", "logged model name")
        model_type = validation.free_text(model_type or "", "model_type", validation.MAX_NAME)
        clean_params = _pairs(params, "param", validation.MAX_PARAM_VALUE)
        clean_tags = _pairs(tags, "tag", validation.MAX_TAG_VALUE)
        if source_run_id:
            source_run_id = validation.run_id(source_run_id)
        t = now_ms()
        with writing(self.engine) as conn:
            require_active(conn, experiment_id)
            if source_run_id:
                _run(conn, source_run_id)
            conn.execute(
                insert(_L).values(
                    id=model_id,
                    experiment_id=experiment_id,
                    name=name,
                    artifact_location=artifact_location(experiment_id, model_id),
                    status="PENDING",
                    status_message="",
                    model_type=model_type,
                    source_run_id=source_run_id or None,
                    created_at=t,
                    updated_at=t,
                    lifecycle_stage="active",
                )
            )
            _put(conn, _LP, model_id, clean_params)
            _put(conn, _LT, model_id, clean_tags)
        return self.get(model_id)

    def get(self, model_id: str) -> LoggedModel:
        """The logged model ``model_id``; raises :class:`NotFoundError` (also once deleted)."""
        with reading(self.engine) as conn:
            return _models(conn, [_row(conn, model_id)])[0]

    def finalize(self, model_id: str, new_status: str) -> LoggedModel:
        """Mark the model READY or UPLOAD_FAILED once its files are written (or not)."""
        new_status = status(new_status)
        if new_status == "PENDING":
            raise InvalidValueError("a logged model is finalized as READY or UPLOAD_FAILED")
        with writing(self.engine) as conn:
            _row(conn, model_id)
            conn.execute(
                update(_L).where(_L.c.id == model_id).values(status=new_status, updated_at=now_ms())
            )
        return self.get(model_id)

    def log_params(self, model_id: str, params: Mapping[str, str]) -> None:
        """Add params; re-logging a value is fine, changing one is an error."""
        clean = _pairs(params, "param", validation.MAX_PARAM_VALUE)
        with writing(self.engine) as conn:
            _row(conn, model_id)
            existing = dict(
                conn.execute(select(_LP.c.key, _LP.c.value).where(_LP.c.model_id == model_id)).all()
            )
            for key, value in clean:
                if key in existing and existing[key] != value:
                    raise InvalidValueError(
                        f"param {key!r} of logged model {model_id} is {existing[key]!r} already; "
                        f"params cannot change (got {value!r})"
                    )
            insert_missing(
                conn,
                _LP,
                [{"model_id": model_id, "key": k, "value": v} for k, v in clean],
                ("model_id", "key"),
            )

    def set_tags(self, model_id: str, tags: Mapping[str, str]) -> LoggedModel:
        """Set tags (replacing values of existing keys)."""
        clean = _pairs(tags, "tag", validation.MAX_TAG_VALUE)
        with writing(self.engine) as conn:
            _row(conn, model_id)
            upsert(
                conn,
                _LT,
                [{"model_id": model_id, "key": k, "value": v} for k, v in clean],
                ("model_id", "key"),
                ("value",),
            )
            conn.execute(update(_L).where(_L.c.id == model_id).values(updated_at=now_ms()))
        return self.get(model_id)

    def delete_tag(self, model_id: str, key: str) -> None:
        """Delete tag ``key``; raises :class:`NotFoundError` if it is not set."""
        with writing(self.engine) as conn:
            _row(conn, model_id)
            gone = conn.execute(delete(_LT).where(_LT.c.model_id == model_id, _LT.c.key == key))
        if gone.rowcount == 0:
            raise NotFoundError(f"logged model {model_id} has no tag {key!r}")

    def delete(self, model_id: str) -> None:
        """Move the model to the trash: it is no longer found, its rows stay."""
        with writing(self.engine) as conn:
            _row(conn, model_id)
            conn.execute(
                update(_L)
                .where(_L.c.id == model_id)
                .values(lifecycle_stage="deleted", updated_at=now_ms())
            )

    def log_metrics(self, model_id: str, metrics: Sequence[ModelMetric]) -> None:
        """Record metric values against the model (MLflow's metrics with a ``model_id``)."""
        rows = []
        for m in metrics:
            key = validation.key(m.key, "metric key")
            if isinstance(m.value, bool) or not isinstance(m.value, int | float):
                raise InvalidValueError(f"metric {key!r}: value must be a number, got {m.value!r}")
            rows.append(
                {
                    "model_id": model_id,
                    "key": key,
                    "value": None if math.isnan(m.value) else float(m.value),
                    "step": validation.step(m.step, key),
                    "timestamp": validation.step(m.timestamp, key),
                    "run_id": m.run_id,
                    "dataset_name": m.dataset_name,
                    "dataset_digest": m.dataset_digest,
                }
            )
        with writing(self.engine) as conn:
            _row(conn, model_id)
            if rows:
                conn.execute(insert(_LM), rows)

    def search(
        self,
        experiment_ids: Sequence[int],
        filter: str | None = None,
        order_by: Sequence[tuple[str, bool]] = (),
        offset: int = 0,
        limit: int = 100,
    ) -> list[LoggedModel]:
        """Active logged models of ``experiment_ids`` matching ``filter``: ``limit`` of them from
        ``offset`` on, newest first unless ``order_by`` ((attribute, ascending) pairs) says
        otherwise."""
        if not experiment_ids:
            raise InvalidValueError("search needs at least one experiment id")
        clauses = [f"{name} {'ASC' if asc else 'DESC'}" for name, asc in order_by]
        order = GRAMMAR.order(clauses, [_L.c.created_at.desc()], [_L.c.id.asc()])
        stmt = (
            select(_L)
            .where(
                among(_L.c.experiment_id, experiment_ids),
                _L.c.lifecycle_stage == "active",
                *GRAMMAR.where(filter),
            )
            .order_by(*order)
            .limit(limit)
            .offset(offset)
        )
        with searching(self.engine) as conn:
            return _models(conn, list(conn.execute(stmt)))

    def log_outputs(self, run_id: str, outputs: Sequence[ModelOutput]) -> None:
        """Record that run ``run_id`` produced these logged models (at these steps)."""
        rows = [
            {"run_id": run_id, "model_id": o.model_id, "step": validation.step(o.step)}
            for o in outputs
        ]
        with writing(self.engine) as conn:
            _run(conn, validation.run_id(run_id))
            for row in rows:
                _row(conn, row["model_id"])
            upsert(conn, _O, rows, ("run_id", "model_id"), ("step",))

    def log_inputs(self, run_id: str, model_ids: Sequence[str]) -> None:
        """Record that run ``run_id`` used these logged models; one recorded before is kept."""
        with writing(self.engine) as conn:
            _run(conn, validation.run_id(run_id))
            for model_id in model_ids:
                _row(conn, model_id)
            rows = [{"run_id": run_id, "model_id": m} for m in dict.fromkeys(model_ids)]
            if rows:
                insert_missing(conn, _I, rows, ("run_id", "model_id"))

    def of_runs(self, run_ids: Sequence[str]) -> dict[str, RunModels]:
        """The logged models each run used and produced (outputs in the order of their steps),
        in two queries per batch of runs."""
        out = {r: RunModels() for r in run_ids}
        if not run_ids:
            return out
        with reading(self.engine) as conn:
            for ids in batches(run_ids):
                used = conn.execute(
                    select(_I.c.run_id, _I.c.model_id)
                    .where(_I.c.run_id.in_(ids))
                    .order_by(_I.c.model_id)
                )
                for r in used:
                    out[r.run_id].inputs.append(r.model_id)
                made = conn.execute(
                    select(_O.c.run_id, _O.c.model_id, _O.c.step)
                    .where(_O.c.run_id.in_(ids))
                    .order_by(_O.c.step, _O.c.model_id)
                )
                for m in made:
                    out[m.run_id].outputs.append(ModelOutput(m.model_id, m.step))
        return out


def _pairs(values: Mapping[str, Any] | None, what: str, limit: int) -> list[tuple[str, str]]:
    if values is None:
        return []
    if not isinstance(values, Mapping):
        raise InvalidValueError(f"{what}s must be a mapping of key to value, got {values!r}")
    out = []
    for k, v in values.items():
        key = validation.key(k, f"{what} key")
        if not isinstance(v, str | int | float):
            raise InvalidValueError(f"{what} {key!r}: value must be text, got {v!r}")
        out.append((key, validation.free_text(str(v), f"{what} {key!r}", limit)))
    return out


def _put(conn: Connection, table: Any, model_id: str, pairs: list[tuple[str, str]]) -> None:
    if pairs:
        conn.execute(
            insert(table), [{"model_id": model_id, "key": k, "value": v} for k, v in pairs]
        )


def _run(conn: Connection, run_id: str) -> None:
    if conn.execute(select(_R.c.id).where(_R.c.id == run_id)).first() is None:
        raise NotFoundError(f"run {run_id} does not exist")


def _row(conn: Connection, model_id: Any) -> Any:
    if not isinstance(model_id, str) or not model_id:
        raise InvalidValueError(f"logged model id must be a non-empty string, got {model_id!r}")
    row = conn.execute(
        select(_L).where(_L.c.id == model_id, _L.c.lifecycle_stage == "active")
    ).first()
    if row is None:
        raise NotFoundError(f"logged model {model_id} does not exist")
    return row


def _models(conn: Connection, rows: Sequence[Any]) -> list[LoggedModel]:
    ids = [r.id for r in rows]
    params: dict[str, dict[str, str]] = {i: {} for i in ids}
    tags: dict[str, dict[str, str]] = {i: {} for i in ids}
    metrics: dict[str, list[ModelMetric]] = {i: [] for i in ids}
    if ids:
        for p in conn.execute(select(_LP).where(_LP.c.model_id.in_(ids))):
            params[p.model_id][p.key] = p.value
        for t in conn.execute(select(_LT).where(_LT.c.model_id.in_(ids))):
            tags[t.model_id][t.key] = t.value
        stmt = select(_LM).where(_LM.c.model_id.in_(ids)).order_by(_LM.c.key, _LM.c.step, _LM.c.id)
        for m in conn.execute(stmt):
            metrics[m.model_id].append(
                ModelMetric(
                    m.key,
                    math.nan if m.value is None else m.value,
                    m.step,
                    m.timestamp,
                    m.run_id,
                    m.dataset_name,
                    m.dataset_digest,
                )
            )
    return [
        LoggedModel(
            model_id=r.id,
            experiment_id=r.experiment_id,
            name=r.name,
            artifact_location=r.artifact_location,
            status=r.status,
            status_message=r.status_message,
            model_type=r.model_type,
            source_run_id=r.source_run_id,
            created_at=r.created_at,
            updated_at=r.updated_at,
            params=params[r.id],
            tags=tags[r.id],
            metrics=metrics[r.id],
        )
        for r in rows
    ]
