"""MLflow 3's logged-model routes (``service.proto``: ``logged-models`` and ``runs/outputs``),
on :class:`tracklog.store.logged_models.LoggedModels`.

Answers go through :class:`~tracklog.server.encoding.WireJSON`: a model's metrics may be NaN or
infinite, which strict JSON cannot carry; MLflow's client reads the "NaN"/"Infinity" strings.
"""

from __future__ import annotations

from typing import Any

from tracklog.server.encoding import WireJSON
from tracklog.server.mlflow_api.errors import invalid
from tracklog.server.mlflow_api.request_args import ArgsDep, pairs
from tracklog.server.mlflow_api.routing import Args, mlflow_router
from tracklog.server.state import StoreDep
from tracklog.store.logged_models import LoggedModel, LoggedModels, ModelMetric, ModelOutput

router = mlflow_router()


def logged_model_json(m: LoggedModel) -> dict[str, Any]:
    """A logged model as MLflow's ``LoggedModel`` message."""
    info: dict[str, Any] = {
        "model_id": m.model_id,
        "experiment_id": str(m.experiment_id),
        "name": m.name,
        "creation_timestamp_ms": m.created_at,
        "last_updated_timestamp_ms": m.updated_at,
        "artifact_uri": m.artifact_location,
        "status": f"LOGGED_MODEL_{m.status}",
        "model_type": m.model_type,
        "status_message": m.status_message,
        "tags": [{"key": k, "value": v} for k, v in m.tags.items()],
    }
    if m.source_run_id:
        info["source_run_id"] = m.source_run_id
    metrics = [_metric_json(m.model_id, x) for x in m.metrics]
    params = [{"key": k, "value": v} for k, v in m.params.items()]
    return {"info": info, "data": {"params": params, "metrics": metrics}}


def _metric_json(model_id: str, metric: ModelMetric) -> dict[str, Any]:
    out: dict[str, Any] = {
        "key": metric.key,
        "value": metric.value,
        "timestamp": metric.timestamp,
        "step": metric.step,
        "model_id": model_id,
    }
    for name in ("run_id", "dataset_name", "dataset_digest"):
        if value := getattr(metric, name):
            out[name] = value
    return out


def _model(m: LoggedModel) -> WireJSON:
    return WireJSON({"model": logged_model_json(m)})


def _experiment_id(value: Any, name: str = "experiment_id") -> int:
    text = str(value).strip() if isinstance(value, str | int) else ""
    if isinstance(value, bool) or not text.isdigit():
        raise invalid(f"'{name}' must be an experiment id (digits), got {value!r}")
    return int(text)


@router.post("/logged-models")
def create_logged_model(store: StoreDep, args: ArgsDep) -> Any:
    model = LoggedModels(store).create(
        _experiment_id(args.required("experiment_id")),
        name=args.str("name"),
        model_type=args.str("model_type", "") or "",
        source_run_id=args.str("source_run_id"),
        params=pairs(args, "params"),
        tags=pairs(args, "tags"),
    )
    return _model(model)


@router.post("/logged-models/search")
def search_logged_models(store: StoreDep, args: ArgsDep) -> Any:
    if args.list("datasets"):
        raise invalid("searching logged models by 'datasets' is not supported by tracklog")
    experiment_ids = [_experiment_id(e, "experiment_ids") for e in args.list("experiment_ids")]
    models, token = LoggedModels(store).search(
        experiment_ids,
        args.str("filter"),
        _order_by(args),
        args.int("max_results"),
        args.str("page_token"),
    )
    out: dict[str, Any] = {"models": [logged_model_json(m) for m in models]}
    if token:
        out["next_page_token"] = token
    return WireJSON(out)


def _order_by(args: Args) -> list[tuple[str, bool]]:
    out = []
    for i, item in enumerate(args.list("order_by")):
        if not isinstance(item, dict) or not isinstance(item.get("field_name"), str):
            raise invalid(f"order_by[{i}] must be an object with a 'field_name', got {item!r}")
        if item.get("dataset_name") or item.get("dataset_digest"):
            raise invalid("ordering logged models by a dataset's metric is not supported")
        ascending = item.get("ascending", True)
        if not isinstance(ascending, bool):
            raise invalid(f"order_by[{i}].ascending must be true or false, got {ascending!r}")
        out.append((item["field_name"], ascending))
    return out


@router.get("/logged-models/{model_id}")
def get_logged_model(model_id: str, store: StoreDep) -> Any:
    return _model(LoggedModels(store).get(model_id))


@router.patch("/logged-models/{model_id}")
def finalize_logged_model(model_id: str, store: StoreDep, args: ArgsDep) -> Any:
    return _model(LoggedModels(store).finalize(model_id, args.required("status")))


@router.delete("/logged-models/{model_id}")
def delete_logged_model(model_id: str, store: StoreDep) -> Any:
    LoggedModels(store).delete(model_id)
    return {}


@router.patch("/logged-models/{model_id}/tags")
def set_logged_model_tags(model_id: str, store: StoreDep, args: ArgsDep) -> Any:
    return _model(LoggedModels(store).set_tags(model_id, pairs(args, "tags")))


@router.delete("/logged-models/{model_id}/tags/{tag_key:path}")
def delete_logged_model_tag(model_id: str, tag_key: str, store: StoreDep) -> Any:
    LoggedModels(store).delete_tag(model_id, tag_key)
    return {}


@router.post("/logged-models/{model_id}/params")
def log_logged_model_params(model_id: str, store: StoreDep, args: ArgsDep) -> Any:
    LoggedModels(store).log_params(model_id, pairs(args, "params"))
    return {}


@router.post("/runs/outputs")
def log_outputs(store: StoreDep, args: ArgsDep) -> Any:
    outputs = []
    for i, item in enumerate(args.list("models")):
        if not isinstance(item, dict) or not isinstance(item.get("model_id"), str):
            raise invalid(f"models[{i}] must be an object with a string 'model_id', got {item!r}")
        step = Args(item).int("step", 0)
        outputs.append(ModelOutput(item["model_id"], step or 0))
    LoggedModels(store).log_outputs(args.run_id(), outputs)
    return {}
