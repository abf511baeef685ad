"""MLflow's metric history routes: the whole series a page at a time, and several runs'
series over a step interval, downsampled min/max-preserving for charts."""

from __future__ import annotations

from typing import Any

import numpy as np

from tracklog.errors import NotFoundError
from tracklog.server.mlflow_api.convert import metric_json
from tracklog.server.mlflow_api.errors import invalid
from tracklog.server.mlflow_api.routing import Args, endpoint, listing, mlflow_router
from tracklog.store.downsample import minmax_indices
from tracklog.store.paging import Page
from tracklog.store.tracking import Store

router = mlflow_router()
MAX_HISTORY_PAGE = 1_000_000
# MLflow's limits for get-history-bulk-interval (mlflow/server/handlers.py).
MAX_BULK_RUNS, MAX_BULK_RESULTS, DEFAULT_BULK_RESULTS = 100, 2500, 320


def _series(store: Store, run_id: str, key: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A run's series, or three empty arrays when the run never logged it (as MLflow)."""
    try:
        return store.read_series(run_id, key)
    except NotFoundError:
        store.get_run(run_id)  # a missing run is still an error
        return np.empty(0, np.int64), np.empty(0, np.float64), np.empty(0, np.int64)


@endpoint(router, "/metrics/get-history", "GET")
def get_history(store: Store, args: Args) -> dict[str, Any]:
    """Every point of one metric of a run, by step, ``max_results`` at a time."""
    key = args.required("metric_key")
    spec = args.page(MAX_HISTORY_PAGE, MAX_HISTORY_PAGE)
    steps, values, times = _series(store, args.run_id(), key)
    page = Page.of(list(range(spec.offset, min(spec.offset + spec.limit + 1, len(steps)))), spec)
    points = [metric_json(key, float(values[i]), int(steps[i]), int(times[i])) for i in page.items]
    return listing("metrics", points, page)


@endpoint(router, "/metrics/get-history-bulk-interval", "GET")
def get_history_bulk_interval(store: Store, args: Args) -> dict[str, Any]:
    """Points of one metric of up to 100 runs with steps in [start_step, end_step], at most
    ``max_results`` per run (the first, the last and each bucket's min and max)."""
    run_ids = [str(r) for r in args.list("run_ids")]
    if not run_ids:
        raise invalid("Missing value for required parameter 'run_ids'.")
    if len(run_ids) > MAX_BULK_RUNS:
        raise invalid(f"run_ids may name at most {MAX_BULK_RUNS} runs, got {len(run_ids)}")
    key = args.required("metric_key")
    start, end = args.int("start_step"), args.int("end_step")
    if (start is None) != (end is None):
        raise invalid("start_step and end_step must be given together")
    if start is not None and end is not None and start > end:
        raise invalid(f"end_step ({end}) must be at least start_step ({start})")
    size = args.int("max_results", DEFAULT_BULK_RESULTS)
    assert size is not None
    if not 4 <= size <= MAX_BULK_RESULTS:
        raise invalid(f"max_results must be between 4 and {MAX_BULK_RESULTS}, got {size}")
    out = []
    for run_id in run_ids:
        steps, values, times = _series(store, run_id, key)
        if start is not None:
            inside = (steps >= start) & (steps <= end)
            steps, values, times = steps[inside], values[inside], times[inside]
        for i in minmax_indices(values, size):
            out.append(
                {
                    **metric_json(key, float(values[i]), int(steps[i]), int(times[i])),
                    "run_id": run_id,
                }
            )
    return {"metrics": out}
