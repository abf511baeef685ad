"""Datasets a run used (MLflow's ``log-inputs``): logged once per (name, digest), kept with
their source, schema, profile and the input's tags (``mlflow.data.context``: train, eval...)."""

from __future__ import annotations

import json
from collections.abc import Sequence

from sqlalchemy import select

from tracklog.errors import InvalidValueError, NotFoundError, RunDeletedError
from tracklog.store import json_output, schema, validation
from tracklog.store.clock import now_ms
from tracklog.store.engine import batches, insert_missing, reading, writing
from tracklog.store.records import DatasetInput
from tracklog.store.tracking import Store

_I = schema.run_inputs
_R = schema.runs
# MLflow's limits (mlflow/utils/validation.py), the widths of the run_inputs columns.
MAX_NAME, MAX_DIGEST, MAX_SOURCE_TYPE = 500, 36, 36
MAX_SCHEMA, MAX_PROFILE = 1_048_576, 16_384


class Inputs:
    """The datasets the runs of one store used."""

    def __init__(self, store: Store) -> None:
        self.engine = store.engine

    def log(self, run_id: str, inputs: Sequence[DatasetInput]) -> None:
        """Record that the run used these datasets; one already recorded is kept as it was."""
        rows = [_row(run_id, i) for i in inputs]
        with writing(self.engine) as conn:
            stage = conn.execute(select(_R.c.lifecycle_stage).where(_R.c.id == run_id)).scalar()
            if stage is None:
                raise NotFoundError(f"no run with id {run_id!r}")
            if stage != "active":
                raise RunDeletedError(f"run {run_id!r} is in the trash; restore it first")
            if rows:
                insert_missing(conn, _I, rows, ("run_id", "name", "digest"))

    def of_runs(self, run_ids: Sequence[str]) -> dict[str, list[DatasetInput]]:
        """The datasets each run used, in the order they were logged."""
        out: dict[str, list[DatasetInput]] = {r: [] for r in run_ids}
        if not run_ids:
            return out
        with reading(self.engine) as conn:
            rows = (
                r
                for ids in batches(run_ids)
                for r in conn.execute(
                    select(_I).where(_I.c.run_id.in_(ids)).order_by(_I.c.created_at, _I.c.name)
                )
            )
            for r in rows:
                out[r.run_id].append(
                    DatasetInput(
                        r.name,
                        r.digest,
                        r.source_type,
                        r.source,
                        r.dataset_schema,
                        r.profile,
                        json.loads(r.tags),
                    )
                )
        return out


def _row(run_id: str, i: DatasetInput) -> dict[str, object]:
    for what, value, limit in (
        ("name", i.name, MAX_NAME),
        ("digest", i.digest, MAX_DIGEST),
        ("source_type", i.source_type, MAX_SOURCE_TYPE),
        ("source", i.source, validation.MAX_PARAM_VALUE),
    ):
        validation.bounded(value, f"dataset {what}", limit)
        if not value.strip():
            raise InvalidValueError(f"dataset {what} must not be empty")
    for what, optional, limit in (
        ("schema", i.schema, MAX_SCHEMA),
        ("profile", i.profile, MAX_PROFILE),
    ):
        if optional is not None:
            validation.bounded(optional, f"dataset {what}", limit)
    tags = {
        validation.key(k, "input tag key"): validation.tag_value(v, k) for k, v in i.tags.items()
    }
    return {
        "run_id": run_id,
        "name": i.name,
        "digest": i.digest,
        "source_type": i.source_type,
        "source": i.source,
        "dataset_schema": i.schema,
        "profile": i.profile,
        "tags": json_output.dumps(tags),
        "created_at": now_ms(),
    }
