"""MLflow's logging routes: metrics (of runs and logged models), params, tags (one or in a
batch) and inputs (datasets, logged models)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from tracklog.errors import NotFoundError
from tracklog.server.mlflow_api import convert, grouped_appends
from tracklog.server.mlflow_api.errors import invalid
from tracklog.server.mlflow_api.routing import Args, endpoint, mlflow_router
from tracklog.store import git_context, validation
from tracklog.store.clock import now_ms
from tracklog.store.mlflow import MlflowStore
from tracklog.store.mlflow.logged_models import ModelMetric
from tracklog.store.records import DatasetInput, SeriesPoints
from tracklog.store.tracking import Store

router = mlflow_router()
# MLflow's log-batch limits (mlflow/utils/validation.py).
MAX_METRICS, MAX_PARAMS, MAX_TAGS, MAX_ENTITIES = 1000, 100, 100, 1000
# The fields of a metric as the mlflow client's log_metrics sends it.
_PLAIN_METRIC = frozenset(("key", "value", "step", "timestamp"))


def apply_tags(store: Store, run_id: str, tags: Mapping[str, str]) -> None:
    """Set run tags; ``mlflow.runName`` and ``mlflow.note.content`` also rename the run and
    replace its notes, which is where tracklog keeps them."""
    name = tags.get(convert.RUN_NAME_TAG)
    if name is not None:
        validation.name(name, "run name")
    store.set_tags(run_id, tags)
    apply_git_tags(store, run_id, tags)
    if name is not None or convert.NOTE_TAG in tags:
        store.update_run(run_id, name=name, notes=tags.get(convert.NOTE_TAG))


def apply_git_tags(store: Store, run_id: str, tags: Mapping[str, str]) -> None:
    """Fill the run's git context from the mlflow client's source tags (see
    :mod:`tracklog.store.git_context`)."""
    derived = git_context.from_mlflow_tags(tags)
    if derived:
        git = git_context.merge(store.get_run(run_id).metadata.get("git"), derived)
        if git is not None:
            store.update_run(run_id, metadata={"git": git})


@dataclass(frozen=True)
class MetricPoint:
    """One MLflow metric of a request; ``model_id`` names the logged model it is also for."""

    key: str
    value: float
    step: int
    timestamp: int
    model_id: str | None = None
    dataset_name: str | None = None
    dataset_digest: str | None = None


def parse_metrics(metrics: list[dict[str, Any]]) -> list[MetricPoint]:
    """MLflow metrics (key, value, timestamp, step, model_id...) checked, in order."""
    out = []
    for m in metrics:
        key = m.get("key")
        if not isinstance(key, str) or not key:
            raise invalid(f"each metric needs a non-empty 'key', got {m!r}")
        value, step, timestamp = m.get("value"), m.get("step", 0), m.get("timestamp")
        if (
            _PLAIN_METRIC.issuperset(m)
            and type(value) is float
            and type(step) is int
            and type(timestamp) is int
        ):
            # What the mlflow client sends (a float value, integer step and timestamp, no
            # model or dataset): no conversion to check.
            out.append(MetricPoint(key, value, step, timestamp))
            continue
        one = Args(m)
        value = one.number("value", required=True)
        assert value is not None
        out.append(
            MetricPoint(
                key,
                value,
                one.int("step", 0) or 0,
                one.int("timestamp", now_ms()) or 0,
                one.str("model_id"),
                one.str("dataset_name"),
                one.str("dataset_digest"),
            )
        )
    return out


def _fits(n: int) -> bool:
    return -(2**63) <= n < 2**63


def series_batch(points: list[MetricPoint]) -> list[SeriesPoints]:
    """Metric points as one SeriesPoints per key, in order."""
    try:
        steps = np.array([p.step for p in points], np.int64)
        timestamps = np.array([p.timestamp for p in points], np.int64)
    except OverflowError:
        bad = next(p for p in points if not (_fits(p.step) and _fits(p.timestamp)))
        raise invalid(f"metric {bad.key!r}: a step or timestamp does not fit in 64 bits") from None
    values = np.array([p.value for p in points], np.float64)
    rows: dict[str, list[int]] = {}
    for i, p in enumerate(points):
        rows.setdefault(p.key, []).append(i)
    batch = []
    for key, at in rows.items():
        # One point per key (a log_metrics dict) or a run of them: a slice, no copy.
        pick: slice | list[int] = slice(at[0], at[-1] + 1) if at[-1] - at[0] + 1 == len(at) else at
        batch.append(SeriesPoints(key, "", steps[pick], values[pick], timestamps[pick]))
    return batch


def log_metrics(
    store: Store, run_id: str, points: list[MetricPoint], batch: list[SeriesPoints] | None = None
) -> None:
    """Append metrics to the run; those with a ``model_id`` go to that logged model too.
    ``batch`` is ``series_batch(points)`` when the caller made it already.

    ``log_model`` copies the run's metrics of its step to the new model with ``model_id``
    set: a point the run already has (same key, step, timestamp and value) is not appended
    again, as MLflow's own store keeps such a point once.
    """
    if batch is None:
        batch = series_batch(points)  # checked before anything is written
    if any(p.model_id for p in points):
        store.get_run(run_id)  # a missing run writes nothing to the models either
        _log_model_metrics(store, run_id, points)
        batch = series_batch(_without_copies(store, run_id, points))
    if batch:
        grouped_appends.for_store(store).append(store, run_id, batch)


def _log_model_metrics(store: Store, run_id: str, points: list[MetricPoint]) -> None:
    by_model: dict[str, list[ModelMetric]] = {}
    for p in points:
        if p.model_id:
            by_model.setdefault(p.model_id, []).append(
                ModelMetric(
                    p.key, p.value, p.step, p.timestamp, run_id, p.dataset_name, p.dataset_digest
                )
            )
    models = MlflowStore(store).logged_models
    for model_id, rows in by_model.items():
        models.log_metrics(model_id, rows)


def _without_copies(store: Store, run_id: str, points: list[MetricPoint]) -> list[MetricPoint]:
    """``points`` less the model-tagged ones that the run's series already hold."""
    held: dict[str, set[tuple[int, str, int]]] = {}
    keep = []
    for p in points:
        if p.model_id:
            if p.key not in held:
                held[p.key] = _points_of(store, run_id, p.key)
            if (p.step, p.value.hex(), p.timestamp) in held[p.key]:
                continue
        keep.append(p)
    return keep


def _points_of(store: Store, run_id: str, key: str) -> set[tuple[int, str, int]]:
    try:
        steps, values, times = store.read_series(run_id, key)
    except NotFoundError:
        return set()
    # float.hex makes NaN equal to NaN, which a float comparison would not.
    return set(zip(steps.tolist(), [v.hex() for v in values.tolist()], times.tolist(), strict=True))


def log_params(store: Store, run_id: str, params: list[dict[str, Any]]) -> None:
    """Log params once each: the same value again is fine, a new value is refused."""
    values: dict[str, str] = {}
    for key, value in convert.tag_dict(params, "params").items():
        values[validation.key(key, "param key")] = value
    seen: dict[str, str] = {}
    for p in params:  # a key twice in one batch with two values is a change too
        key, value = p["key"], p.get("value", "")
        if seen.setdefault(key, value) != value:
            raise invalid(
                f"Duplicate parameter keys have been submitted: '{key}' with values "
                f"'{seen[key]}' and '{value}'."
            )
    if values:
        store.set_config(run_id, values, immutable=True)


@endpoint(router, "/runs/log-metric", "POST")
def log_metric(store: Store, args: Args) -> dict[str, Any]:
    log_metrics(store, args.run_id(), parse_metrics([args.values]))
    return {}


@endpoint(router, "/runs/log-parameter", "POST")
def log_param(store: Store, args: Args) -> dict[str, Any]:
    log_params(
        store, args.run_id(), [{"key": args.required("key"), "value": args.str("value", "")}]
    )
    return {}


@endpoint(router, "/runs/log-batch", "POST")
def log_batch(store: Store, args: Args) -> dict[str, Any]:
    """Params, then metrics, then tags; a batch over MLflow's limits is refused whole."""
    run_id = args.run_id()
    metrics, params, tags = args.objects("metrics"), args.objects("params"), args.objects("tags")
    for what, items, limit in (
        ("metrics", metrics, MAX_METRICS),
        ("params", params, MAX_PARAMS),
        ("tags", tags, MAX_TAGS),
    ):
        if len(items) > limit:
            raise invalid(
                f"A batch logging request can contain at most {limit} {what}. "
                f"Got {len(items)} {what}. Please split up {what} across multiple requests "
                "and try again."
            )
    total = len(metrics) + len(params) + len(tags)
    if total > MAX_ENTITIES:
        raise invalid(
            f"A batch logging request can contain at most {MAX_ENTITIES} metrics, params and "
            f"tags in total. Got {total}. Please split up the request and try again."
        )
    points = parse_metrics(metrics)
    batch = series_batch(points)  # checked before anything is written
    tag_values = convert.tag_dict(tags)
    log_params(store, run_id, params)
    log_metrics(store, run_id, points, batch)
    if tag_values:
        apply_tags(store, run_id, tag_values)
    return {}


@endpoint(router, "/runs/set-tag", "POST")
def set_tag(store: Store, args: Args) -> dict[str, Any]:
    apply_tags(store, args.run_id(), {args.required("key"): args.str("value", "") or ""})
    return {}


@endpoint(router, "/runs/delete-tag", "POST")
def delete_tag(store: Store, args: Args) -> dict[str, Any]:
    store.delete_tag(args.run_id(), args.required("key"))
    return {}


@endpoint(router, "/runs/log-inputs", "POST")
def log_inputs(store: Store, args: Args) -> dict[str, Any]:
    """Record the datasets and the logged models the run used."""
    used = []
    for item in args.objects("datasets"):
        dataset = item.get("dataset")
        if not isinstance(dataset, dict):
            raise invalid(f"each dataset input needs a 'dataset' object, got {item!r}")
        fields = Args(dataset)
        used.append(
            DatasetInput(
                fields.required("name"),
                fields.required("digest"),
                fields.required("source_type"),
                fields.required("source"),
                fields.str("schema"),
                fields.str("profile"),
                convert.tag_dict(item.get("tags") or [], "dataset tags"),
            )
        )
    model_ids = []
    for i, item in enumerate(args.objects("models")):
        if not isinstance(item.get("model_id"), str) or not item["model_id"]:
            raise invalid(f"models[{i}] needs a non-empty string 'model_id', got {item!r}")
        model_ids.append(item["model_id"])
    run_id = args.run_id()
    if model_ids:  # first: a missing model leaves the datasets unrecorded too
        MlflowStore(store).logged_models.log_inputs(run_id, model_ids)
    MlflowStore(store).inputs.log(run_id, used)
    return {}
