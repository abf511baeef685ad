"""MLflow's model registry routes (``model_registry.proto``): registered models, model
versions, stages, aliases and tags, on :class:`tracklog.store.registry.Registry`."""

from __future__ import annotations

from typing import Any

from tracklog.server.auth import UserDep
from tracklog.server.mlflow_api.errors import invalid
from tracklog.server.mlflow_api.request_args import ArgsDep, pairs
from tracklog.server.mlflow_api.routing import Args, mlflow_router
from tracklog.server.state import StoreDep
from tracklog.store.registry import ModelVersion, RegisteredModel, Registry

router = mlflow_router()


def version_json(v: ModelVersion) -> dict[str, Any]:
    """A model version as MLflow's ``ModelVersion`` message."""
    out: dict[str, Any] = {
        "name": v.name,
        "version": str(v.version),
        "creation_timestamp": v.created_at,
        "last_updated_timestamp": v.updated_at,
        "user_id": v.user,
        "current_stage": v.stage,
        "description": v.description,
        "source": v.source,
        "run_id": v.run_id or "",
        "status": v.status,
        "status_message": v.status_message,
        "tags": [{"key": k, "value": val} for k, val in v.tags.items()],
        "run_link": v.run_link,
        "aliases": v.aliases,
    }
    if v.logged_model_id:
        out["model_id"] = v.logged_model_id
    return out


def model_json(m: RegisteredModel) -> dict[str, Any]:
    """A registered model as MLflow's ``RegisteredModel`` message."""
    return {
        "name": m.name,
        "creation_timestamp": m.created_at,
        "last_updated_timestamp": m.updated_at,
        "user_id": m.user,
        "description": m.description,
        "latest_versions": [version_json(v) for v in m.latest_versions],
        "tags": [{"key": k, "value": v} for k, v in m.tags.items()],
        "aliases": [{"alias": a, "version": str(v)} for a, v in m.aliases.items()],
    }


def _flag(args: Args, name: str) -> bool:
    value = args.values.get(name, False)
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    if not isinstance(value, bool):
        raise invalid(f"parameter '{name}' must be true or false, got {value!r}")
    return value


# -- registered models -------------------------------------------------------------------------


@router.post("/registered-models/create")
def create_registered_model(store: StoreDep, args: ArgsDep, user: UserDep) -> Any:
    model = Registry(store).create_model(
        args.required("name"),
        description=args.str("description", "") or "",
        tags=pairs(args, "tags"),
        user=user.name if user else "",
    )
    return {"registered_model": model_json(model)}


@router.get("/registered-models/get")
def get_registered_model(store: StoreDep, args: ArgsDep) -> Any:
    return {"registered_model": model_json(Registry(store).get_model(args.required("name")))}


@router.post("/registered-models/rename")
def rename_registered_model(store: StoreDep, args: ArgsDep) -> Any:
    model = Registry(store).rename_model(args.required("name"), args.required("new_name"))
    return {"registered_model": model_json(model)}


@router.patch("/registered-models/update")
def update_registered_model(store: StoreDep, args: ArgsDep) -> Any:
    model = Registry(store).update_model(args.required("name"), args.str("description", "") or "")
    return {"registered_model": model_json(model)}


@router.delete("/registered-models/delete")
def delete_registered_model(store: StoreDep, args: ArgsDep) -> Any:
    Registry(store).delete_model(args.required("name"))
    return {}


@router.get("/registered-models/search")
def search_registered_models(store: StoreDep, args: ArgsDep) -> Any:
    page = Registry(store).search_models(
        args.str("filter"), args.list("order_by"), args.int("max_results"), args.str("page_token")
    )
    out: dict[str, Any] = {"registered_models": [model_json(m) for m in page.items]}
    if page.next_page_token:
        out["next_page_token"] = page.next_page_token
    return out


@router.post("/registered-models/get-latest-versions")
@router.get("/registered-models/get-latest-versions")
def get_latest_versions(store: StoreDep, args: ArgsDep) -> Any:
    stages = args.list("stages")
    versions = Registry(store).latest_versions(args.required("name"), stages)
    return {"model_versions": [version_json(v) for v in versions]}


@router.post("/registered-models/set-tag")
def set_registered_model_tag(store: StoreDep, args: ArgsDep) -> Any:
    value = args.values.get("value", "")
    Registry(store).set_model_tag(args.required("name"), args.required("key"), value)
    return {}


@router.delete("/registered-models/delete-tag")
def delete_registered_model_tag(store: StoreDep, args: ArgsDep) -> Any:
    Registry(store).delete_model_tag(args.required("name"), args.required("key"))
    return {}


@router.post("/registered-models/alias")
def set_registered_model_alias(store: StoreDep, args: ArgsDep) -> Any:
    Registry(store).set_alias(
        args.required("name"), args.required("alias"), args.required("version")
    )
    return {}


@router.delete("/registered-models/alias")
def delete_registered_model_alias(store: StoreDep, args: ArgsDep) -> Any:
    Registry(store).delete_alias(args.required("name"), args.required("alias"))
    return {}


@router.get("/registered-models/alias")
def get_model_version_by_alias(store: StoreDep, args: ArgsDep) -> Any:
    version = Registry(store).version_by_alias(args.required("name"), args.required("alias"))
    return {"model_version": version_json(version)}


# -- model versions ----------------------------------------------------------------------------


@router.post("/model-versions/create")
def create_model_version(store: StoreDep, args: ArgsDep, user: UserDep) -> Any:
    version = Registry(store).create_version(
        args.required("name"),
        args.required("source"),
        run_id=args.str("run_id"),
        run_link=args.str("run_link", "") or "",
        description=args.str("description", "") or "",
        tags=pairs(args, "tags"),
        logged_model_id=args.str("model_id"),
        user=user.name if user else "",
    )
    return {"model_version": version_json(version)}


@router.get("/model-versions/get")
def get_model_version(store: StoreDep, args: ArgsDep) -> Any:
    version = Registry(store).get_version(args.required("name"), args.required("version"))
    return {"model_version": version_json(version)}


@router.patch("/model-versions/update")
def update_model_version(store: StoreDep, args: ArgsDep) -> Any:
    version = Registry(store).update_version(
        args.required("name"), args.required("version"), args.str("description", "") or ""
    )
    return {"model_version": version_json(version)}


@router.delete("/model-versions/delete")
def delete_model_version(store: StoreDep, args: ArgsDep) -> Any:
    Registry(store).delete_version(args.required("name"), args.required("version"))
    return {}


@router.post("/model-versions/transition-stage")
def transition_model_version_stage(store: StoreDep, args: ArgsDep) -> Any:
    version = Registry(store).transition_stage(
        args.required("name"),
        args.required("version"),
        args.required("stage"),
        archive_existing_versions=_flag(args, "archive_existing_versions"),
    )
    return {"model_version": version_json(version)}


@router.get("/model-versions/search")
def search_model_versions(store: StoreDep, args: ArgsDep) -> Any:
    page = Registry(store).search_versions(
        args.str("filter"), args.list("order_by"), args.int("max_results"), args.str("page_token")
    )
    out: dict[str, Any] = {"model_versions": [version_json(v) for v in page.items]}
    if page.next_page_token:
        out["next_page_token"] = page.next_page_token
    return out


@router.get("/model-versions/get-download-uri")
def get_model_version_download_uri(store: StoreDep, args: ArgsDep) -> Any:
    version = Registry(store).get_version(args.required("name"), args.required("version"))
    return {"artifact_uri": version.download_uri}


@router.post("/model-versions/set-tag")
def set_model_version_tag(store: StoreDep, args: ArgsDep) -> Any:
    Registry(store).set_version_tag(
        args.required("name"),
        args.required("version"),
        args.required("key"),
        args.values.get("value", ""),
    )
    return {}


@router.delete("/model-versions/delete-tag")
def delete_model_version_tag(store: StoreDep, args: ArgsDep) -> Any:
    Registry(store).delete_version_tag(
        args.required("name"), args.required("version"), args.required("key")
    )
    return {}
