"""MLflow 3's logged-model routes (``service.proto``: ``logged-models`` and ``runs/outputs``),
on :class:`tracklog.store.mlflow.logged_models.LoggedModels`.

Routes with the model id in their path are plain FastAPI routes (``endpoint`` handlers see only
the query string and body); they are sync, so FastAPI runs them in a worker thread too. A
model's metrics may be NaN or infinite, which strict JSON cannot carry: they travel as MLflow's
"NaN"/"Infinity" strings.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends

from tracklog.server.encoding import wire_float
from tracklog.server.mlflow_api.convert import experiment_id, pairs, tag_dict
from tracklog.server.mlflow_api.errors import invalid
from tracklog.server.mlflow_api.routing import Args, endpoint, listing, mlflow_router
from tracklog.server.state import StoreDep
from tracklog.store.mlflow import MlflowStore
from tracklog.store.mlflow.logged_models import LoggedModel, ModelMetric, ModelOutput
from tracklog.store.paging import Page
from tracklog.store.tracking import Store

router = mlflow_router()
ArgsDep = Annotated[Args, Depends(Args.read)]
MAX_RESULTS = 1000


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
        "tags": pairs(m.tags),
    }
    if m.source_run_id:
        info["source_run_id"] = m.source_run_id
    metrics = [_metric_json(m.model_id, x) for x in m.metrics]
    return {"info": info, "data": {"params": pairs(m.params), "metrics": metrics}}


def _metric_json(model_id: str, metric: ModelMetric) -> dict[str, Any]:
    out: dict[str, Any] = {
        "key": metric.key,
        "value": wire_float(metric.value),
        "timestamp": metric.timestamp,
        "step": metric.step,
        "model_id": model_id,
    }
    for name in ("run_id", "dataset_name", "dataset_digest"):
        if value := getattr(metric, name):
            out[name] = value
    return out


def _model(m: LoggedModel) -> dict[str, Any]:
    return {"model": logged_model_json(m)}


@endpoint(router, "/logged-models", "POST")
def create_logged_model(store: Store, args: Args) -> dict[str, Any]:
    """A new PENDING logged model; the client uploads its files, then finalizes it."""
    model = MlflowStore(store).logged_models.create(
        experiment_id(args.str("experiment_id")),
        name=args.str("name"),
        model_type=args.str("model_type", "") or "",
        source_run_id=args.str("source_run_id"),
        params=tag_dict(args.objects("params"), "params"),
        tags=tag_dict(args.objects("tags")),
    )
    return {"model": logged_model_json(model)}


@endpoint(router, "/logged-models/search", "POST")
def search_logged_models(store: Store, args: Args) -> dict[str, Any]:
    """Logged models of the given experiments matching MLflow's filter, newest first."""
    if args.list("datasets"):
        raise invalid("searching logged models by 'datasets' is not supported by tracklog")
    exp_ids = [experiment_id(str(e), "experiment_ids") for e in args.list("experiment_ids")]
    spec = args.page(100, MAX_RESULTS)
    found = MlflowStore(store).logged_models.search(
        exp_ids, args.str("filter"), _order_by(args), spec.offset, spec.limit + 1
    )
    page = Page.of(found, spec)
    return listing("models", [logged_model_json(m) for m in page.items], page)


def _order_by(args: Args) -> list[tuple[str, bool]]:
    out = []
    for i, item in enumerate(args.objects("order_by")):
        if not isinstance(item.get("field_name"), str):
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
    return _model(MlflowStore(store).logged_models.get(model_id))


@router.patch("/logged-models/{model_id}")
def finalize_logged_model(model_id: str, store: StoreDep, args: ArgsDep) -> Any:
    return _model(MlflowStore(store).logged_models.finalize(model_id, args.required("status")))


@router.delete("/logged-models/{model_id}")
def delete_logged_model(model_id: str, store: StoreDep) -> Any:
    MlflowStore(store).logged_models.delete(model_id)
    return {}


@router.patch("/logged-models/{model_id}/tags")
def set_logged_model_tags(model_id: str, store: StoreDep, args: ArgsDep) -> Any:
    return _model(
        MlflowStore(store).logged_models.set_tags(model_id, tag_dict(args.objects("tags")))
    )


@router.delete("/logged-models/{model_id}/tags/{tag_key:path}")
def delete_logged_model_tag(model_id: str, tag_key: str, store: StoreDep) -> Any:
    MlflowStore(store).logged_models.delete_tag(model_id, tag_key)
    return {}


@router.post("/logged-models/{model_id}/params")
def log_logged_model_params(model_id: str, store: StoreDep, args: ArgsDep) -> Any:
    MlflowStore(store).logged_models.log_params(
        model_id, tag_dict(args.objects("params"), "params")
    )
    return {}


@endpoint(router, "/runs/outputs", "POST")
def log_outputs(store: Store, args: Args) -> dict[str, Any]:
    """Record the logged models a run produced (``mlflow.log_model`` inside a run)."""
    outputs = []
    for i, item in enumerate(args.objects("models")):
        if not isinstance(item.get("model_id"), str):
            raise invalid(f"models[{i}] needs a string 'model_id', got {item!r}")
        outputs.append(ModelOutput(item["model_id"], Args(item).int("step", 0) or 0))
    MlflowStore(store).logged_models.log_outputs(args.run_id(), outputs)
    return {}
