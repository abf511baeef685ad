"""W1 log-scalars on MLflow with a SQLite tracking store.

Modes: ``log_metrics`` (``mlflow.log_metrics(d, step=i)`` per step) and ``log_batch``
(``MlflowClient().log_batch`` with rows buffered up to MLflow's 1,000-metrics-per-call limit).
"""

from __future__ import annotations

import argparse
import time
from typing import Any

import common
import mlflow
from mlflow.entities import Metric
from mlflow.tracking import MlflowClient


def uri(args: argparse.Namespace) -> str:
    """Tracking URI of the SQLite store in the work dir."""
    return f"sqlite:///{args.store}/mlflow.db"


class BatchLogger:
    """A ``log(d, step=i)`` callable that sends rows with ``log_batch`` in large batches."""

    def __init__(self, client: MlflowClient, run_id: str, max_metrics: int = 1000) -> None:
        self.client, self.run_id, self.max_metrics = client, run_id, max_metrics
        self.buf: list[Metric] = []

    def __call__(self, d: dict[str, float], step: int) -> None:
        ts = int(time.time() * 1000)
        self.buf.extend(Metric(k, v, ts, step) for k, v in d.items())
        if len(self.buf) + len(d) > self.max_metrics:
            self.flush()

    def flush(self) -> None:
        if self.buf:
            self.client.log_batch(self.run_id, metrics=self.buf)
            self.buf = []


def start(args: argparse.Namespace) -> common.W1Handle:
    """Create the store, experiment and run; return the mode's log and finish calls."""
    mlflow.set_tracking_uri(uri(args))
    exp = mlflow.create_experiment("bench", artifact_location=(args.store / "art").as_uri())
    run_id = mlflow.start_run(experiment_id=exp, run_name="w1").info.run_id
    if args.mode == "log_batch":
        batch = BatchLogger(MlflowClient(), run_id)
        return common.W1Handle(batch, lambda: (batch.flush(), mlflow.end_run()), run_id)
    return common.W1Handle(mlflow.log_metrics, mlflow.end_run, run_id)


def open_client(args: argparse.Namespace, ref: str) -> MlflowClient:
    """A fresh client with the run looked up once."""
    client = MlflowClient(uri(args))
    client.get_run(ref)
    return client


def read(args: argparse.Namespace, ref: str) -> dict[str, Any]:
    """Read back with ``MlflowClient.get_metric_history`` (one call per series)."""
    client, open_s = common.timed(open_client, args, ref)
    names = [f"k{j}" for j in range(args.keys)]
    one = common.timed(lambda: len(client.get_metric_history(ref, "k0")))
    all_ = common.timed(lambda: sum(len(client.get_metric_history(ref, k)) for k in names))
    return common.w1_read_result(open_s, one, all_, args)


if __name__ == "__main__":
    common.w1_main(start, read)
