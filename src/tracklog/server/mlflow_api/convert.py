"""tracklog records → MLflow's JSON entities (``mlflow/protos/service.proto``), and the ids,
URIs and tags that tie the two models together.

A project is an experiment (id as a decimal string), a run keeps its id, the flattened config
is the params, ``runs.name``/``user``/``notes`` are the tags ``mlflow.runName``,
``mlflow.user`` and ``mlflow.note.content``.
"""

from __future__ import annotations

from typing import Any

import orjson

from tracklog.server.encoding import wire_float
from tracklog.server.mlflow_api.errors import MlflowError, invalid
from tracklog.store import validation
from tracklog.store.mlflow.logged_models import RunModels
from tracklog.store.mlflow.run_listing import RunListing
from tracklog.store.records import DatasetInput, ExperimentRecord, RunRecord

RUN_NAME_TAG = "mlflow.runName"
USER_TAG = "mlflow.user"
PARENT_TAG = "mlflow.parentRunId"
NOTE_TAG = "mlflow.note.content"
ARTIFACT_SCHEME = "mlflow-artifacts:"


def experiment_id(value: str | None, name: str = "experiment_id") -> int:
    """An MLflow experiment id (a decimal string) as tracklog's project id."""
    if value is None:
        raise invalid(f"Missing value for required parameter '{name}'.")
    number = validation.decimal_id(value)
    if number is None:
        raise MlflowError(
            "INVALID_PARAMETER_VALUE", f"{name} must be a decimal experiment id, got {value!r}"
        )
    return number


def experiment_artifact_uri(exp_id: int) -> str:
    return f"{ARTIFACT_SCHEME}/{exp_id}"


def run_artifact_uri(run: RunRecord | RunListing) -> str:
    """Where the client sends a run's files; the artifact routes map it to the run's files."""
    return f"{ARTIFACT_SCHEME}/{run.experiment_id}/{run.id}/artifacts"


def experiment_json(e: ExperimentRecord) -> dict[str, Any]:
    return {
        "experiment_id": str(e.id),
        "name": e.name,
        "artifact_location": experiment_artifact_uri(e.id),
        "lifecycle_stage": e.lifecycle_stage,
        "creation_time": e.created_at,
        "last_update_time": e.updated_at,
        "tags": pairs(e.tags),
    }


def run_info_json(run: RunRecord | RunListing) -> dict[str, Any]:
    info = {
        "run_id": run.id,
        "run_uuid": run.id,
        "run_name": run.name,
        "experiment_id": str(run.experiment_id),
        "user_id": run.user or "",
        "status": run.status,
        "start_time": run.start_time,
        "artifact_uri": run_artifact_uri(run),
        "lifecycle_stage": run.lifecycle_stage,
    }
    if run.end_time is not None:
        info["end_time"] = run.end_time
    return info


def run_json(run: RunListing, inputs: list[DatasetInput], models: RunModels) -> dict[str, Any]:
    """The whole run: info, latest metrics, params, tags, the datasets and logged models it
    used, and the logged models it produced. Empty lists are left out, as MLflow's server
    leaves them out (the client reads a missing list as empty, and parses less)."""
    used: dict[str, Any] = {}
    if inputs:
        used["dataset_inputs"] = [dataset_input_json(i) for i in inputs]
    if models.inputs:
        used["model_inputs"] = [{"model_id": m} for m in models.inputs]
    made: dict[str, Any] = {}
    if models.outputs:
        made["model_outputs"] = [{"model_id": o.model_id, "step": o.step} for o in models.outputs]
    return {
        "info": run_info_json(run),
        "data": {
            "metrics": [metric_json(m.key, m.value, m.step, m.timestamp) for m in run.metrics],
            "params": orjson.Fragment(run.params_json),
            "tags": pairs(tags_of(run)),
        },
        "inputs": used,
        "outputs": made,
    }


def metric_json(key: str, value: float, step: int, timestamp: int) -> dict[str, Any]:
    return {"key": key, "value": wire_float(value), "timestamp": timestamp, "step": step}


def tags_of(run: RunRecord | RunListing) -> dict[str, str]:
    """The run's tags, with the ones MLflow keeps in tags taken from the run's own fields (so
    a run renamed or logged natively reads the same)."""
    tags = dict(run.tags)
    tags[RUN_NAME_TAG] = run.name
    for tag, value in ((USER_TAG, run.user), (NOTE_TAG, run.notes)):
        if value is not None:
            tags[tag] = value
    return tags


def dataset_input_json(i: DatasetInput) -> dict[str, Any]:
    dataset = {"name": i.name, "digest": i.digest, "source_type": i.source_type, "source": i.source}
    if i.schema is not None:
        dataset["schema"] = i.schema
    if i.profile is not None:
        dataset["profile"] = i.profile
    return {"tags": pairs(i.tags), "dataset": dataset}


def pairs(mapping: dict[str, str]) -> list[dict[str, str]]:
    """``{k: v}`` as MLflow's ``[{"key": k, "value": v}]``."""
    return [{"key": k, "value": v} for k, v in mapping.items()]


def tag_dict(items: list[dict[str, Any]], what: str = "tags") -> dict[str, str]:
    """MLflow's ``[{"key", "value"}]`` as a dict, each key and value checked."""
    out: dict[str, str] = {}
    for item in items:
        key, value = item.get("key"), item.get("value", "")
        if not isinstance(key, str) or not key:
            raise invalid(f"each item of '{what}' needs a non-empty 'key', got {item!r}")
        if not isinstance(value, str):
            raise invalid(f"{what} {key!r}: 'value' must be a string, got {value!r}")
        out[key] = value
    return out
