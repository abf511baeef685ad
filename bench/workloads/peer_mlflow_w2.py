"""W2 many-runs on MLflow with a SQLite tracking store.

Modes: ``log_metrics`` (``mlflow.log_metrics(row, step=i)`` per step, as a training loop does)
and ``log_batch`` (one ``MlflowClient().log_batch`` per run with all params and 500 metrics).

MLflow stores params as strings and its filter compares them as strings, so the query runs
``metrics.acc > 0.5`` with ``order_by`` in MLflow and applies ``lr < 0.01`` to the returned
rows in Python (that client-side step is included in the timing).
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from typing import Any

import common
import mlflow
from mlflow.entities import Metric, Param
from mlflow.tracking import MlflowClient
from peer_mlflow_w1 import uri


def setup(args: argparse.Namespace) -> Callable[[dict[str, Any]], None]:
    """Return ``create(run)``: start_run with 5 tags, then params and metrics per mode."""
    mlflow.set_tracking_uri(uri(args))
    exp = mlflow.create_experiment("w2", artifact_location=(args.store / "art").as_uri())
    client = MlflowClient()

    def create(spec: dict[str, Any]) -> None:
        tags = {label: "true" for label in spec["tags"]}
        with mlflow.start_run(experiment_id=exp, run_name=spec["name"], tags=tags) as run:
            if args.mode == "log_batch":
                ts = int(time.time() * 1000)
                params = [Param(k, str(v)) for k, v in spec["params"].items()]
                metrics = [
                    Metric(k, v, ts, step)
                    for step, row in enumerate(spec["rows"])
                    for k, v in row.items()
                ]
                client.log_batch(run.info.run_id, metrics=metrics, params=params)
                return
            mlflow.log_params(spec["params"])
            for step, row in enumerate(spec["rows"]):
                mlflow.log_metrics(row, step=step)

    return create


def query(args: argparse.Namespace) -> int:
    """``search_runs`` on acc with order_by, then the lr condition client-side."""
    mlflow.set_tracking_uri(uri(args))
    df = mlflow.search_runs(
        experiment_names=["w2"], filter_string="metrics.acc > 0.5", order_by=common.W2_ORDER
    )
    return int((df["params.lr"].astype(float) < 0.01).sum())


if __name__ == "__main__":
    common.w2_main(setup, query)
