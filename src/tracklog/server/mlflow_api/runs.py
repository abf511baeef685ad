"""MLflow's run routes: create, get, update, delete, restore and search."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from tracklog.errors import InvalidValueError, SearchTimeoutError
from tracklog.server.mlflow_api import convert
from tracklog.server.mlflow_api.errors import MlflowError, invalid
from tracklog.server.mlflow_api.experiments import MAX_RESULTS, lifecycle
from tracklog.server.mlflow_api.logging import apply_git_tags, apply_tags
from tracklog.server.mlflow_api.routing import Args, endpoint, listing, mlflow_router
from tracklog.store import validation
from tracklog.store.mlflow import MlflowStore
from tracklog.store.run_query import RunQuery
from tracklog.store.stored_json import abridged_text
from tracklog.store.tracking import Store

router = mlflow_router()
# MLflow's RunStatus, by proto number too; SCHEDULED has no tracklog counterpart.
STATUS_NUMBERS = {"1": "RUNNING", "2": "SCHEDULED", "3": "FINISHED", "4": "FAILED", "5": "KILLED"}


def runs_json(store: Store, run_ids: Sequence[str], listed: bool = False) -> list[dict[str, Any]]:
    """The runs with these ids (those that exist) as MLflow entities, read in a few queries
    for the whole page; ``listed``: notes abridged, as listings show them."""
    mlflow = MlflowStore(store)
    runs = mlflow.run_listings(run_ids)
    if listed:
        for run in runs:
            if run.notes is not None:
                run.notes = abridged_text(run.notes)
    ids = [r.id for r in runs]
    used = mlflow.inputs.of_runs(ids)
    models = mlflow.logged_models.of_runs(ids)
    return [convert.run_json(r, used[r.id], models[r.id]) for r in runs]


def run_json(store: Store, run_id: str) -> dict[str, Any]:
    """One run as an MLflow entity; NotFoundError if there is no such run."""
    found = runs_json(store, [run_id])
    if not found:
        store.get_run(run_id)  # raises the store's own "no run with id" error
    return found[0]


def _status(args: Args) -> str | None:
    status = args.str("status")
    if status is None:
        return None
    status = STATUS_NUMBERS.get(status, status)
    if status not in validation.RUN_STATUSES:
        raise invalid(f"status must be one of {', '.join(validation.RUN_STATUSES)}, got {status!r}")
    return status


@endpoint(router, "/runs/create", "POST")
def create(store: Store, args: Args) -> dict[str, Any]:
    """Create a RUNNING run with no owning process: only its client ends it."""
    exp_id = convert.experiment_id(args.str("experiment_id", "0"))
    # The trash is checked by create_run, in its transaction: the experiment may go there now.
    exp = MlflowStore(store).experiments.get(exp_id)
    tags = convert.tag_dict(args.objects("tags"))
    name, tagged = args.str("run_name"), tags.get(convert.RUN_NAME_TAG)
    if name is not None and tagged is not None and name != tagged:
        raise invalid(
            f"Both 'run_name' argument and 'mlflow.runName' tag are specified, but with "
            f"different values (run_name='{name}', mlflow.runName='{tagged}')."
        )
    name = name or tagged
    parent = tags.get(convert.PARENT_TAG)
    run = store.create_run(
        exp.name,
        name=name,
        user=tags.get(convert.USER_TAG) or args.str("user_id"),
        notes=tags.get(convert.NOTE_TAG),
        parent_run_id=parent,
        start_time=args.int("start_time"),
        owned=False,
    )
    # Kept as tags too, so filters such as tags.mlflow.runName match as on MLflow's server.
    store.set_tags(run.id, {**tags, convert.RUN_NAME_TAG: run.name})
    apply_git_tags(store, run.id, tags)
    return {"run": run_json(store, run.id)}


@endpoint(router, "/runs/get", "GET")
def get(store: Store, args: Args) -> dict[str, Any]:
    """The run with its latest value of each metric, its params, tags and inputs."""
    return {"run": run_json(store, args.run_id())}


@endpoint(router, "/runs/update", "POST")
def update(store: Store, args: Args) -> dict[str, Any]:
    """Rename a run, end it (FINISHED, FAILED, KILLED) or make it RUNNING again."""
    run_id = args.run_id()
    status, end_time, name = _status(args), args.int("end_time"), args.str("run_name")
    run = store.get_run(run_id)
    if name is not None:
        apply_tags(store, run_id, {convert.RUN_NAME_TAG: name})
    if status == "SCHEDULED":
        raise invalid("status SCHEDULED is not supported: a tracklog run starts RUNNING")
    if status == "RUNNING" and run.status != "RUNNING":
        store.resume_run(run_id, owned=False)
    elif status is not None and status != "RUNNING":
        store.finish_run(run_id, status, end_time=end_time)
    return {"run_info": convert.run_info_json(store.get_run(run_id))}


@endpoint(router, "/runs/delete", "POST")
def delete(store: Store, args: Args) -> dict[str, Any]:
    """Move the run to the trash (``tracklog gc`` purges it later)."""
    store.delete_run(args.run_id())
    return {}


@endpoint(router, "/runs/restore", "POST")
def restore(store: Store, args: Args) -> dict[str, Any]:
    store.restore_run(args.run_id())
    return {}


@endpoint(router, "/runs/search", "POST", "GET")
def search(store: Store, args: Args) -> dict[str, Any]:
    """Runs of the given experiments matching MLflow's filter, in ``order_by`` order, a page
    at a time."""
    exp_ids = [convert.experiment_id(str(e), "experiment_ids") for e in args.list("experiment_ids")]
    spec = args.page(1000, MAX_RESULTS)
    order_by = [str(o) for o in args.list("order_by")]
    try:
        query = RunQuery.of(
            filter=args.str("filter"),
            order_by=order_by,
            lifecycle=lifecycle(args, "run_view_type"),
            page=spec,
            experiment_ids=exp_ids,
        )
        page = store.search_page(query)
    except SearchTimeoutError:
        raise  # the expression is fine: the message says what happened
    except InvalidValueError as exc:
        raise MlflowError("INVALID_PARAMETER_VALUE", f"Invalid search expression: {exc}") from exc
    return listing("runs", runs_json(store, page.items, listed=True), page)
