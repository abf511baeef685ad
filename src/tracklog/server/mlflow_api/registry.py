"""MLflow's model registry routes (``model_registry.proto``): registered models, model
versions, stages, aliases and tags, on :class:`tracklog.store.mlflow.registry.Registry`."""

from __future__ import annotations

from typing import Any

from tracklog.server.mlflow_api.convert import pairs, tag_dict
from tracklog.server.mlflow_api.routing import Args, endpoint, listing, mlflow_router
from tracklog.store.mlflow import MlflowStore
from tracklog.store.mlflow.registry import ModelVersion, RegisteredModel
from tracklog.store.paging import Page
from tracklog.store.tracking import Store

router = mlflow_router()
# MLflow's page limits: registered models per search page, model versions per search page.
MAX_MODELS, MAX_VERSIONS = 1000, 200_000


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
        "status": v.status,
        "status_message": v.status_message,
        "tags": pairs(v.tags),
        "run_link": v.run_link,
        "aliases": v.aliases,
    }
    if v.run_id:
        out["run_id"] = v.run_id
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
        "tags": pairs(m.tags),
        "aliases": [{"alias": a, "version": str(v)} for a, v in m.aliases.items()],
    }


def _name(args: Args) -> str:
    return args.required("name")


def _version(args: Args) -> str:
    return args.required("version")


# -- registered models -------------------------------------------------------------------------


@endpoint(router, "/registered-models/create", "POST")
def create_registered_model(store: Store, args: Args) -> dict[str, Any]:
    model = MlflowStore(store).registry.create_model(
        _name(args),
        args.str("description", "") or "",
        tag_dict(args.objects("tags")),
        user=args.user or "",
    )
    return {"registered_model": model_json(model)}


@endpoint(router, "/registered-models/get", "GET")
def get_registered_model(store: Store, args: Args) -> dict[str, Any]:
    return {"registered_model": model_json(MlflowStore(store).registry.get_model(_name(args)))}


@endpoint(router, "/registered-models/rename", "POST")
def rename_registered_model(store: Store, args: Args) -> dict[str, Any]:
    model = MlflowStore(store).registry.rename_model(_name(args), args.required("new_name"))
    return {"registered_model": model_json(model)}


@endpoint(router, "/registered-models/update", "PATCH")
def update_registered_model(store: Store, args: Args) -> dict[str, Any]:
    model = MlflowStore(store).registry.update_model(_name(args), args.str("description", "") or "")
    return {"registered_model": model_json(model)}


@endpoint(router, "/registered-models/delete", "DELETE")
def delete_registered_model(store: Store, args: Args) -> dict[str, Any]:
    """Delete the model with every version, tag and alias."""
    MlflowStore(store).registry.delete_model(_name(args))
    return {}


@endpoint(router, "/registered-models/search", "GET")
def search_registered_models(store: Store, args: Args) -> dict[str, Any]:
    """Models matching MLflow's filter (``name``, ``tags.KEY``), by name unless ordered."""
    spec = args.page(100, MAX_MODELS)
    order_by = [str(o) for o in args.list("order_by")]
    found = MlflowStore(store).registry.search_models(
        args.str("filter"), order_by, spec.offset, spec.limit + 1
    )
    page = Page.of(found, spec)
    return listing("registered_models", [model_json(m) for m in page.items], page)


@endpoint(router, "/registered-models/get-latest-versions", "POST", "GET")
def get_latest_versions(store: Store, args: Args) -> dict[str, Any]:
    """The newest version in each asked-for stage (every stage if none is named)."""
    stages = [str(s) for s in args.list("stages")]
    versions = MlflowStore(store).registry.latest_versions(_name(args), stages)
    return {"model_versions": [version_json(v) for v in versions]}


@endpoint(router, "/registered-models/set-tag", "POST")
def set_registered_model_tag(store: Store, args: Args) -> dict[str, Any]:
    MlflowStore(store).registry.set_model_tag(
        _name(args), args.required("key"), args.str("value", "") or ""
    )
    return {}


@endpoint(router, "/registered-models/delete-tag", "DELETE")
def delete_registered_model_tag(store: Store, args: Args) -> dict[str, Any]:
    MlflowStore(store).registry.delete_model_tag(_name(args), args.required("key"))
    return {}


@endpoint(router, "/registered-models/alias", "POST")
def set_registered_model_alias(store: Store, args: Args) -> dict[str, Any]:
    MlflowStore(store).registry.set_alias(_name(args), args.required("alias"), _version(args))
    return {}


@endpoint(router, "/registered-models/alias", "DELETE")
def delete_registered_model_alias(store: Store, args: Args) -> dict[str, Any]:
    MlflowStore(store).registry.delete_alias(_name(args), args.required("alias"))
    return {}


@endpoint(router, "/registered-models/alias", "GET")
def get_model_version_by_alias(store: Store, args: Args) -> dict[str, Any]:
    version = MlflowStore(store).registry.version_by_alias(_name(args), args.required("alias"))
    return {"model_version": version_json(version)}


# -- model versions ----------------------------------------------------------------------------


@endpoint(router, "/model-versions/create", "POST")
def create_model_version(store: Store, args: Args) -> dict[str, Any]:
    """A new version, READY at once; a ``models:/<model_id>`` source serves that logged
    model's files."""
    version = MlflowStore(store).registry.create_version(
        _name(args),
        args.required("source"),
        run_id=args.str("run_id"),
        run_link=args.str("run_link", "") or "",
        description=args.str("description", "") or "",
        tags=tag_dict(args.objects("tags")),
        logged_model_id=args.str("model_id"),
        user=args.user or "",
    )
    return {"model_version": version_json(version)}


@endpoint(router, "/model-versions/get", "GET")
def get_model_version(store: Store, args: Args) -> dict[str, Any]:
    return {
        "model_version": version_json(
            MlflowStore(store).registry.get_version(_name(args), _version(args))
        )
    }


@endpoint(router, "/model-versions/update", "PATCH")
def update_model_version(store: Store, args: Args) -> dict[str, Any]:
    version = MlflowStore(store).registry.update_version(
        _name(args), _version(args), args.str("description", "") or ""
    )
    return {"model_version": version_json(version)}


@endpoint(router, "/model-versions/delete", "DELETE")
def delete_model_version(store: Store, args: Args) -> dict[str, Any]:
    MlflowStore(store).registry.delete_version(_name(args), _version(args))
    return {}


@endpoint(router, "/model-versions/transition-stage", "POST")
def transition_model_version_stage(store: Store, args: Args) -> dict[str, Any]:
    """Move a version to a stage; ``archive_existing_versions`` archives the others there."""
    version = MlflowStore(store).registry.transition_stage(
        _name(args),
        _version(args),
        args.required("stage"),
        archive_existing_versions=args.bool("archive_existing_versions"),
    )
    return {"model_version": version_json(version)}


@endpoint(router, "/model-versions/search", "GET")
def search_model_versions(store: Store, args: Args) -> dict[str, Any]:
    """Versions matching MLflow's filter (``name``, ``run_id``, ``version_number``,
    ``tags.KEY``...), by name and newest version first unless ordered."""
    spec = args.page(10_000, MAX_VERSIONS)
    order_by = [str(o) for o in args.list("order_by")]
    found = MlflowStore(store).registry.search_versions(
        args.str("filter"), order_by, spec.offset, spec.limit + 1
    )
    page = Page.of(found, spec)
    return listing("model_versions", [version_json(v) for v in page.items], page)


@endpoint(router, "/model-versions/get-download-uri", "GET")
def get_model_version_download_uri(store: Store, args: Args) -> dict[str, Any]:
    """Where the version's files are: its logged model's artifacts, or its source."""
    version = MlflowStore(store).registry.get_version(_name(args), _version(args))
    return {"artifact_uri": version.download_uri}


@endpoint(router, "/model-versions/set-tag", "POST")
def set_model_version_tag(store: Store, args: Args) -> dict[str, Any]:
    value = args.str("value", "") or ""
    MlflowStore(store).registry.set_version_tag(
        _name(args), _version(args), args.required("key"), value
    )
    return {}


@endpoint(router, "/model-versions/delete-tag", "DELETE")
def delete_model_version_tag(store: Store, args: Args) -> dict[str, Any]:
    MlflowStore(store).registry.delete_version_tag(
        _name(args), _version(args), args.required("key")
    )
    return {}
