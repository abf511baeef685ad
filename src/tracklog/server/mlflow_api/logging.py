"""MLflow's logging routes: metrics, params, tags (one or in a batch) and dataset inputs."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from tracklog.server.mlflow_api import convert
from tracklog.server.mlflow_api.errors import invalid
from tracklog.server.mlflow_api.routing import Args, endpoint, mlflow_router
from tracklog.store import inputs, validation
from tracklog.store.clock import now_ms
from tracklog.store.records import DatasetInput
from tracklog.store.series import SeriesPoints
from tracklog.store.tracking import Store

router = mlflow_router()
# MLflow's log-batch limits (mlflow/utils/validation.py).
MAX_METRICS, MAX_PARAMS, MAX_TAGS, MAX_ENTITIES = 1000, 100, 100, 1000


def apply_tags(store: Store, run_id: str, tags: Mapping[str, str]) -> None:
    """Set run tags; ``mlflow.runName`` and ``mlflow.note.content`` also rename the run and
    replace its notes, which is where tracklog keeps them."""
    name = tags.get(convert.RUN_NAME_TAG)
    if name is not None:
        validation.name(name, "run name")
    store.set_tags(run_id, tags)
    if name is not None or convert.NOTE_TAG in tags:
        store.update_run(run_id, name=name, notes=tags.get(convert.NOTE_TAG))


def series_batch(metrics: list[dict[str, Any]]) -> list[SeriesPoints]:
    """MLflow metrics (key, value, timestamp, step) as one SeriesPoints per key, in order."""
    rows: dict[str, list[tuple[int, float, int]]] = {}
    for m in metrics:
        key = m.get("key")
        if not isinstance(key, str) or not key:
            raise invalid(f"each metric needs a non-empty 'key', got {m!r}")
        one = Args(m)
        value = one.number("value", required=True)
        assert value is not None
        step = one.int("step", 0)
        timestamp = one.int("timestamp", now_ms())
        rows.setdefault(key, []).append((step or 0, value, timestamp or 0))
    batch = []
    for key, points in rows.items():
        steps, values, times = zip(*points, strict=True)
        try:
            arrays = (
                np.array(steps, np.int64),
                np.array(values, np.float64),
                np.array(times, np.int64),
            )
        except OverflowError:
            raise invalid(f"metric {key!r}: a step or timestamp does not fit in 64 bits") from None
        batch.append(SeriesPoints(key, "", *arrays))
    return batch


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
    store.append_metrics(args.run_id(), series_batch([args.values]))
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
    batch = series_batch(metrics)  # checked before anything is written
    tag_values = convert.tag_dict(tags)
    log_params(store, run_id, params)
    if batch:
        store.append_metrics(run_id, batch)
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
    """Record the datasets the run used. Model inputs (MLflow 3 logged models) are accepted
    and not recorded: logged models are not part of this store yet."""
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
    inputs.log(store.engine, args.run_id(), used)
    return {}
