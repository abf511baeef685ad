"""MLflow's ``experiments/*`` routes over tracklog's projects
(:mod:`tracklog.store.mlflow.experiments`)."""

from __future__ import annotations

from typing import Any

from tracklog.server.mlflow_api.convert import experiment_id, experiment_json, tag_dict
from tracklog.server.mlflow_api.errors import invalid
from tracklog.server.mlflow_api.routing import Args, endpoint, listing, mlflow_router
from tracklog.store.mlflow import MlflowStore
from tracklog.store.paging import Page
from tracklog.store.tracking import Store

router = mlflow_router()
# MLflow's ViewType, by name or by proto number.
VIEW_TYPES = {"ACTIVE_ONLY": "active", "DELETED_ONLY": "deleted", "ALL": "all"}
VIEW_NUMBERS = {"1": "ACTIVE_ONLY", "2": "DELETED_ONLY", "3": "ALL"}
MAX_RESULTS = 50_000


def lifecycle(args: Args, name: str) -> str:
    """The lifecycle stage a ``view_type`` / ``run_view_type`` argument asks for."""
    view = args.str(name, "ACTIVE_ONLY")
    assert view is not None
    view = VIEW_NUMBERS.get(view, view)
    if view not in VIEW_TYPES:
        raise invalid(f"{name} must be one of {', '.join(VIEW_TYPES)}, got {view!r}")
    return VIEW_TYPES[view]


def _id(args: Args) -> int:
    return experiment_id(args.str("experiment_id"))


@endpoint(router, "/experiments/create", "POST")
def create(store: Store, args: Args) -> dict[str, Any]:
    """Create an experiment; its artifacts go through this server (``mlflow-artifacts:``).
    With ``--auth`` its creator gets MANAGE on it, as the creator of a project does."""
    tags = tag_dict(args.objects("tags"))
    exp_id = MlflowStore(store).experiments.create(args.required("name"), tags)
    if args.guard is not None:
        args.guard.created(exp_id)
    return {"experiment_id": str(exp_id)}


@endpoint(router, "/experiments/get", "GET")
def get(store: Store, args: Args) -> dict[str, Any]:
    return {"experiment": experiment_json(MlflowStore(store).experiments.get(_id(args)))}


@endpoint(router, "/experiments/get-by-name", "GET")
def get_by_name(store: Store, args: Args) -> dict[str, Any]:
    found = MlflowStore(store).experiments.get_by_name(args.required("experiment_name"))
    return {"experiment": experiment_json(found)}


@endpoint(router, "/experiments/search", "POST", "GET")
def search(store: Store, args: Args) -> dict[str, Any]:
    """The experiments matching the filter among those the user may read."""
    spec = args.page(1000, MAX_RESULTS)
    found = MlflowStore(store).experiments.search(
        args.str("filter"),
        [str(o) for o in args.list("order_by")],
        lifecycle(args, "view_type"),
        spec.offset,
        spec.limit + 1,
        among=args.guard.readable_ids() if args.guard is not None else None,
    )
    page = Page.of(found, spec)
    return listing("experiments", [experiment_json(e) for e in page.items], page)


@endpoint(router, "/experiments/update", "POST")
def update(store: Store, args: Args) -> dict[str, Any]:
    new_name = args.str("new_name")
    if new_name is not None:
        MlflowStore(store).experiments.rename(_id(args), new_name)
    return {}


@endpoint(router, "/experiments/delete", "POST")
def delete(store: Store, args: Args) -> dict[str, Any]:
    """Move the experiment and its runs to the trash."""
    MlflowStore(store).experiments.set_lifecycle(_id(args), "deleted")
    return {}


@endpoint(router, "/experiments/restore", "POST")
def restore(store: Store, args: Args) -> dict[str, Any]:
    MlflowStore(store).experiments.set_lifecycle(_id(args), "active")
    return {}


@endpoint(router, "/experiments/set-experiment-tag", "POST")
def set_tag(store: Store, args: Args) -> dict[str, Any]:
    value = args.str("value", "")
    assert value is not None
    MlflowStore(store).experiments.set_tag(_id(args), args.required("key"), value)
    return {}


@endpoint(router, "/experiments/delete-experiment-tag", "POST", "DELETE")
def delete_tag(store: Store, args: Args) -> dict[str, Any]:
    MlflowStore(store).experiments.delete_tag(_id(args), args.required("key"))
    return {}
