"""Runs as a listing shows them (MLflow's ``runs/search`` and ``runs/get``): the run's own
columns, its params, its tags and the latest point of each metric.

A page of runs is read in four queries per 1,000 runs, without building a
:class:`~tracklog.store.records.RunRecord` per run (no config, summary, labels or metric
definitions to decode): a page of 1,000 runs is what MLflow's search asks for. The params, the
bulk of such a page (20 per run are common), come as JSON text the database writes, so no
Python object is made per param.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine, select
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement
from sqlalchemy.types import Text

from tracklog.store import schema
from tracklog.store.engine import batches, reading
from tracklog.store.mlflow.latest_metrics import LatestPoint, latest_points_in

_R, _P, _T = schema.runs, schema.params, schema.run_tags
_COLUMNS = (
    _R.c.id,
    _R.c.experiment_id,
    _R.c.name,
    _R.c.status,
    _R.c.start_time,
    _R.c.end_time,
    _R.c.user,
    _R.c.notes,
    _R.c.lifecycle_stage,
)


class _KeyValueArray(FunctionElement[str]):
    """Aggregate: the group's rows as the JSON text ``[{"key": k, "value": v}, ...]``.
    Arguments: the key column, the value column (text)."""

    type = Text()
    inherit_cache = True
    name = "key_value_array"


@compiles(_KeyValueArray, "sqlite")
def _pairs_sqlite(element: _KeyValueArray, compiler: SQLCompiler, **kw: Any) -> str:
    # No ORDER BY in SQLite's aggregates: the group comes in the (run_id, key) index's order.
    key, value = (compiler.process(c, **kw) for c in element.clauses)
    return f"json_group_array(json_object('key', {key}, 'value', {value}))"


@compiles(_KeyValueArray, "postgresql")
def _pairs_postgresql(element: _KeyValueArray, compiler: SQLCompiler, **kw: Any) -> str:
    key, value = (compiler.process(c, **kw) for c in element.clauses)
    pair = f"json_build_object('key', {key}, 'value', {value})"
    return f"CAST(json_agg({pair} ORDER BY {key}) AS TEXT)"


@dataclass(slots=True)
class RunListing:
    """A run's columns, params (its flattened config as text: ``params_json`` is the JSON
    array ``[{"key": k, "value": v}, ...]``), tags and latest metrics."""

    id: str
    experiment_id: int
    name: str
    status: str
    start_time: int
    end_time: int | None
    user: str | None
    notes: str | None
    lifecycle_stage: str
    params_json: str
    tags: dict[str, str]
    metrics: list[LatestPoint]


def run_listings(engine: Engine, run_ids: Sequence[str]) -> list[RunListing]:
    """The runs with these ids, in the order given (ids that do not exist are skipped), read
    in one transaction."""
    ids = list(dict.fromkeys(run_ids))
    rows: dict[str, Any] = {}
    params: dict[str, str] = {}
    tags: dict[str, dict[str, str]] = {i: {} for i in ids}
    pairs = _KeyValueArray(_P.c.key, _P.c.value)
    with reading(engine) as conn:
        for part in batches(ids):
            rows.update((r[0], r) for r in conn.execute(select(*_COLUMNS).where(_R.c.id.in_(part))))
            stmt = select(_P.c.run_id, pairs).where(_P.c.run_id.in_(part)).group_by(_P.c.run_id)
            params.update(conn.execute(stmt).all())
            stmt = select(_T.c.run_id, _T.c.key, _T.c.value).where(_T.c.run_id.in_(part))
            for run_id, key, value in conn.execute(stmt.order_by(_T.c.run_id, _T.c.key)).all():
                tags[run_id][key] = value
        metrics = latest_points_in(conn, [i for i in ids if i in rows])
    return [
        RunListing(
            **rows[i]._mapping, params_json=params.get(i, "[]"), tags=tags[i], metrics=metrics[i]
        )
        for i in run_ids
        if i in rows
    ]
