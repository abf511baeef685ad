"""Who may call each MLflow route under ``tracklog server --auth``.

An MLflow experiment is a tracklog project, so every route needs the permission on that
project that the ``/api/v1`` operation it mirrors needs: READ to get or search, EDIT to log,
create runs or change tags, MANAGE to delete or restore. :data:`RULES` states, for every route,
which project it touches and the level it needs; :func:`enforce` applies it before the handler
runs, and ``install`` refuses to mount a route that has no rule. Admins, and servers without
``--auth``, pass every check.

The registry has no per-model grants: as on MLflow's ``basic-auth`` app with its default
permission READ, every user may read it and create registered models; changing a model or its
versions is for the user who created it (MLflow's MANAGE to its creator) and admins. What a
route links to (a model version's run, source and logged model, a logged model's source run, a
run's model inputs and outputs) needs READ too (:class:`Links`).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Protocol, TypeGuard

from fastapi import Request
from starlette.concurrency import run_in_threadpool

from tracklog.errors import PermissionDeniedError
from tracklog.server.auth import Guard, GuardDep
from tracklog.server.mlflow_api.convert import experiment_id
from tracklog.server.mlflow_api.routing import Args, EmptyAnswer
from tracklog.store import validation
from tracklog.store.artifacts import safe_relpath
from tracklog.store.mlflow import MlflowStore
from tracklog.store.mlflow.registry import source_logged_model, source_run
from tracklog.store.tracking import Store

READ, EDIT, MANAGE = "READ", "EDIT", "MANAGE"
PathParams = Mapping[str, str]  # the route path's parameters, as the handler receives them


class Rule(Protocol):
    """What one route needs. A rule sees the route's path parameters and the arguments
    :meth:`Args.read` gives the handler, never the raw request: the query string and the
    body cannot say one thing to the check and another to the handler. ``reads_args``: the
    check needs the arguments (an artifact upload's body must not be read before the handler
    streams it)."""

    @property
    def reads_args(self) -> bool: ...  # read-only: rules are frozen dataclasses

    def check(self, guard: Guard, store: Store, path: PathParams, args: Args | None) -> None:
        """Raise unless the user may go on; a search rule may narrow ``args``."""


@dataclass(frozen=True)
class Anyone:
    """Any authenticated user (the handler itself limits what is shown or records the
    creator)."""

    reads_args: bool = False

    def check(self, guard: Guard, store: Store, path: PathParams, args: Args | None) -> None:
        return None


@dataclass(frozen=True)
class OnRun:
    """``need`` on the project of the run named by ``run_id`` (or ``run_uuid``)."""

    need: str
    reads_args: bool = True

    def check(self, guard: Guard, store: Store, path: PathParams, args: Args | None) -> None:
        assert args is not None
        guard.require_run(args.run_id(), self.need)


@dataclass(frozen=True)
class OnRuns:
    """``need`` on the project of every run in ``run_ids``."""

    need: str
    reads_args: bool = True

    def check(self, guard: Guard, store: Store, path: PathParams, args: Args | None) -> None:
        assert args is not None
        for run_id in args.list("run_ids"):
            guard.require_run(str(run_id), self.need)


@dataclass(frozen=True)
class OnExperiment:
    """``need`` on the experiment named by ``experiment_id`` (``default`` when absent)."""

    need: str
    default: str | None = None
    reads_args: bool = True

    def check(self, guard: Guard, store: Store, path: PathParams, args: Args | None) -> None:
        assert args is not None
        guard.require_experiment(experiment_id(args.str("experiment_id", self.default)), self.need)


@dataclass(frozen=True)
class OnExperimentNamed:
    """``need`` on the experiment called ``experiment_name``."""

    need: str
    reads_args: bool = True

    def check(self, guard: Guard, store: Store, path: PathParams, args: Args | None) -> None:
        assert args is not None
        found = MlflowStore(store).experiments.get_by_name(args.required("experiment_name"))
        guard.require_experiment(found.id, self.need)


@dataclass(frozen=True)
class AmongReadable:
    """A search over ``experiment_ids``: narrowed to those the user may read, as
    ``/api/v1/projects`` lists only readable projects; none left is an empty page."""

    reads_args: bool = True

    def check(self, guard: Guard, store: Store, path: PathParams, args: Args | None) -> None:
        assert args is not None
        readable = guard.readable_ids()
        if readable is None:
            return
        asked = [str(e) for e in args.list("experiment_ids")]
        kept = [e for e in asked if experiment_id(e, "experiment_ids") in readable]
        if asked and not kept:
            raise EmptyAnswer  # an empty page, not an error
        args.values["experiment_ids"] = kept


@dataclass(frozen=True)
class OnLoggedModel:
    """``need`` on the experiment of the logged model in the path's ``{model_id}``."""

    need: str
    reads_args: bool = False

    def check(self, guard: Guard, store: Store, path: PathParams, args: Args | None) -> None:
        model = MlflowStore(store).logged_models.get(path["model_id"])
        guard.require_experiment(model.experiment_id, self.need)


@dataclass(frozen=True)
class OnArtifact:
    """``need`` on the experiment whose folder holds the route's ``{path}`` (the path's first
    part: runs' and logged models' files live under ``<experiment id>/``). Paths outside
    every experiment's folder are for admins."""

    need: str
    reads_args: bool = False

    def check(self, guard: Guard, store: Store, path: PathParams, args: Args | None) -> None:
        _require_artifact(guard, path["path"], self.need)


@dataclass(frozen=True)
class OnListedArtifacts:
    """``need`` on the experiment of the folder a listing names in its ``path`` argument,
    read with :meth:`Args.read` as the handler reads it (a JSON body's ``path`` wins over the
    query string's, for the check as for the listing)."""

    need: str
    reads_args: bool = True

    def check(self, guard: Guard, store: Store, path: PathParams, args: Args | None) -> None:
        assert args is not None
        _require_artifact(guard, args.str("path") or "", self.need)


def _require_artifact(guard: Guard, raw: str, need: str) -> None:
    """Raise unless the user holds ``need`` on the experiment whose folder holds ``raw``."""
    first = safe_relpath(raw).split("/", 1)[0] if raw else ""
    experiment = validation.decimal_id(first)
    if experiment is None:
        assert guard.user is not None  # guard.active: auth is on
        raise PermissionDeniedError(
            f"user {guard.user.name!r} may not reach artifact path {raw or '/'!r}: only "
            "admins may reach paths outside an experiment's folder"
        )
    guard.require_experiment(experiment, need)


@dataclass(frozen=True)
class ModelCreator:
    """A change to registered model ``name`` or its versions: its creator or an admin."""

    reads_args: bool = True

    def check(self, guard: Guard, store: Store, path: PathParams, args: Args | None) -> None:
        assert args is not None and guard.user is not None
        name = args.required("name")
        owner = MlflowStore(store).registry.get_model(name).user
        if owner != guard.user.name:
            raise PermissionDeniedError(
                f"user {guard.user.name!r} may not change registered model {name!r}: only "
                f"its creator ({owner or 'unknown'}) and admins may"
            )


@dataclass(frozen=True)
class Links:
    """READ on every run and logged model the arguments link the route's object to, so a
    link never shows what the user may not read (a model version shows its run id and its
    logged model's storage): runs named by the ``runs`` arguments, logged models named by the
    ``models`` arguments (an id, or a list of objects with a ``model_id``), and, with
    ``source``, what a model version's source names (``runs:/<run id>/...``,
    ``models:/m-<id>``)."""

    runs: tuple[str, ...] = ()
    models: tuple[str, ...] = ()
    source: bool = False
    reads_args: bool = True

    def check(self, guard: Guard, store: Store, path: PathParams, args: Args | None) -> None:
        assert args is not None
        run_ids = [args.str(name) for name in self.runs]
        model_ids: list[str | None] = [m for name in self.models for m in _model_ids(args, name)]
        if self.source and (source := args.str("source")):
            run_ids.append(source_run(source))
            model_ids.append(source_logged_model(source))
        for run_id in filter(None, run_ids):
            guard.require_run(run_id, READ)
        for model_id in filter(None, model_ids):
            guard.require_experiment(
                MlflowStore(store).logged_models.get(model_id).experiment_id, READ
            )


def _model_ids(args: Args, name: str) -> list[str]:
    """The logged model ids in argument ``name``: one id, or objects with a ``model_id`` (the
    handler refuses other shapes)."""
    value = args.values.get(name)
    if isinstance(value, list):
        return [m["model_id"] for m in value if isinstance(m, dict) and _is_str(m.get("model_id"))]
    return [value] if _is_str(value) else []


def _is_str(value: object) -> TypeGuard[str]:
    return isinstance(value, str) and bool(value)


@dataclass(frozen=True)
class AllOf:
    """Every one of ``rules``, in order."""

    rules: tuple[Rule, ...]

    @property
    def reads_args(self) -> bool:
        return any(rule.reads_args for rule in self.rules)

    def check(self, guard: Guard, store: Store, path: PathParams, args: Args | None) -> None:
        for rule in self.rules:
            rule.check(guard, store, path, args)


def _all(*rules: Rule) -> AllOf:
    return AllOf(rules)


# What the arguments of these routes link to: READ on it is needed too.
_LOGGED_MODELS = Links(models=("models",))
_VERSION_SOURCE = Links(runs=("run_id",), models=("model_id",), source=True)


def _table(rules: dict[str, Rule]) -> dict[tuple[str, str], Rule]:
    """``{"GET|POST /path": rule}`` as ``{(method, path): rule}``."""
    out = {}
    for key, rule in rules.items():
        methods, path = key.split(" ")
        for method in methods.split("|"):
            out[method, path] = rule
    return out


# Paths as the route modules declare them, without the /api/2.0/mlflow(-artifacts) prefix.
RULES: dict[tuple[str, str], Rule] = _table(
    {
        # Creating an experiment is creating a project: its creator gets MANAGE.
        "POST /experiments/create": Anyone(),
        "GET /experiments/get": OnExperiment(READ),
        "GET /experiments/get-by-name": OnExperimentNamed(READ),
        "GET|POST /experiments/search": Anyone(),  # lists only readable experiments
        "POST /experiments/update": OnExperiment(EDIT),
        "POST /experiments/set-experiment-tag": OnExperiment(EDIT),
        "POST|DELETE /experiments/delete-experiment-tag": OnExperiment(EDIT),
        "POST /experiments/delete": OnExperiment(MANAGE),
        "POST /experiments/restore": OnExperiment(MANAGE),
        "POST /runs/create": OnExperiment(EDIT, default="0"),
        "GET /runs/get": OnRun(READ),
        "GET|POST /runs/search": AmongReadable(),
        "POST /runs/update": OnRun(EDIT),
        "POST /runs/log-metric": OnRun(EDIT),
        "POST /runs/log-parameter": OnRun(EDIT),
        "POST /runs/log-batch": OnRun(EDIT),
        "POST /runs/set-tag": OnRun(EDIT),
        "POST /runs/delete-tag": OnRun(EDIT),
        "POST /runs/log-inputs": _all(OnRun(EDIT), _LOGGED_MODELS),
        "POST /runs/outputs": _all(OnRun(EDIT), _LOGGED_MODELS),
        "POST /runs/delete": OnRun(MANAGE),
        "POST /runs/restore": OnRun(MANAGE),
        "GET /metrics/get-history": OnRun(READ),
        "GET /metrics/get-history-bulk-interval": OnRuns(READ),
        "POST /logged-models": _all(OnExperiment(EDIT), Links(runs=("source_run_id",))),
        "POST /logged-models/search": AmongReadable(),
        "GET /logged-models/{model_id}": OnLoggedModel(READ),
        "PATCH /logged-models/{model_id}": OnLoggedModel(EDIT),
        "PATCH /logged-models/{model_id}/tags": OnLoggedModel(EDIT),
        "DELETE /logged-models/{model_id}/tags/{tag_key:path}": OnLoggedModel(EDIT),
        "POST /logged-models/{model_id}/params": OnLoggedModel(EDIT),
        "DELETE /logged-models/{model_id}": OnLoggedModel(MANAGE),
        "POST /registered-models/create": Anyone(),  # its creator may change it later
        "GET /registered-models/get": Anyone(),
        "GET /registered-models/search": Anyone(),
        "GET|POST /registered-models/get-latest-versions": Anyone(),
        "GET /registered-models/alias": Anyone(),
        "POST /registered-models/rename": ModelCreator(),
        "PATCH /registered-models/update": ModelCreator(),
        "DELETE /registered-models/delete": ModelCreator(),
        "POST /registered-models/set-tag": ModelCreator(),
        "DELETE /registered-models/delete-tag": ModelCreator(),
        "POST /registered-models/alias": ModelCreator(),
        "DELETE /registered-models/alias": ModelCreator(),
        "GET /model-versions/get": Anyone(),
        "GET /model-versions/search": Anyone(),
        "GET /model-versions/get-download-uri": Anyone(),
        "POST /model-versions/create": _all(ModelCreator(), _VERSION_SOURCE),
        "PATCH /model-versions/update": ModelCreator(),
        "DELETE /model-versions/delete": ModelCreator(),
        "POST /model-versions/transition-stage": ModelCreator(),
        "POST /model-versions/set-tag": ModelCreator(),
        "DELETE /model-versions/delete-tag": ModelCreator(),
        "GET /artifacts": OnListedArtifacts(READ),
        "GET /artifacts/{path:path}": OnArtifact(READ),
        "PUT /artifacts/{path:path}": OnArtifact(EDIT),
        "DELETE /artifacts/{path:path}": OnArtifact(MANAGE),
        "POST /mpu/create/{path:path}": OnArtifact(EDIT),
        "POST /mpu/complete/{path:path}": OnArtifact(EDIT),
        "POST /mpu/abort/{path:path}": OnArtifact(EDIT),
    }
)


def rule_for(method: str, path: str) -> Rule:
    """The rule of a route; a route without one is a bug, refused when it is mounted."""
    try:
        return RULES[method, path]
    except KeyError:
        raise RuntimeError(f"MLflow route {method} {path} has no permission rule") from None


# /api/2.0/mlflow, /api/2.0/mlflow-artifacts and the same under /ajax-api.
_PREFIX = re.compile(r"^/(?:ajax-)?api/2\.0/mlflow(?:-artifacts)?(?=/)")


async def enforce(request: Request, guard: GuardDep) -> None:
    """A dependency of every MLflow route: applies the route's rule."""
    request.state.guard = guard  # for Args.read: handlers see who is asking
    declared = _PREFIX.sub("", request.scope["route"].path, count=1)
    rule = rule_for(request.method, declared)
    args = await Args.read(request) if rule.reads_args else None
    if guard.active:
        store = request.app.state.store
        await run_in_threadpool(rule.check, guard, store, request.path_params, args)
