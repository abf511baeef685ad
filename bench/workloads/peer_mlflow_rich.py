"""R1 and R3 on MLflow with a SQLite tracking store and a local artifact root in the work dir
(MLflow has no histogram type, so no R2).

Modes: ``r1`` (``mlflow.log_image(frame, key=, step=)``, asynchronous as by default),
``r1-sync`` (the same with ``synchronous=True``) and ``r3`` (``mlflow.log_table`` to a Parquet
file, read back with ``mlflow.load_table``).
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import Any

import mlflow
import richdata
from mlflow.tracking import MlflowClient

TABLE_FILE = "t.parquet"


def uri(args: argparse.Namespace) -> str:
    """Tracking URI of the SQLite store in the work dir."""
    return f"sqlite:///{args.store}/mlflow.db"


def start(args: argparse.Namespace) -> richdata.RichHandle:
    """Create the store, experiment and run; ``finish`` waits for MLflow's async queues."""
    mlflow.set_tracking_uri(uri(args))
    exp = mlflow.create_experiment("bench", artifact_location=(args.store / "art").as_uri())
    run_id = mlflow.start_run(experiment_id=exp, run_name=args.mode).info.run_id
    sync = args.mode == "r1-sync"

    def finish() -> None:
        mlflow.flush_async_logging()
        mlflow.flush_artifact_async_logging()
        mlflow.end_run()

    return richdata.RichHandle(
        finish,
        run_id,
        image=lambda i, frame: mlflow.log_image(frame, key="img", step=i, synchronous=sync),
        table=lambda frame: mlflow.log_table(frame, artifact_file=TABLE_FILE),
    )


def open_table(args: argparse.Namespace, ref: str) -> Callable[[], Any]:
    """A fresh client with the run looked up once; the read call is ``mlflow.load_table``
    (which searches the active experiment's runs)."""
    mlflow.set_tracking_uri(uri(args))
    mlflow.set_experiment("bench")
    MlflowClient().get_run(ref)
    return lambda: mlflow.load_table(TABLE_FILE, run_ids=[ref])


if __name__ == "__main__":
    richdata.rich_main(start, open_table)
