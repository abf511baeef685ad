"""W1 log-scalars on trackio in local mode (store: $TRACKIO_DIR, one SQLite file per project)."""

from __future__ import annotations

import argparse
from typing import Any

import common
import trackio
from trackio import SQLiteStorage


def start(args: argparse.Namespace) -> common.W1Handle:
    """Open a local run; trackio's ``run.log`` queues rows for a background writer."""
    run = trackio.init(project="bench", name="w1", config={"steps": args.steps})
    return common.W1Handle(run.log, trackio.finish, "w1")


def read(args: argparse.Namespace, ref: str) -> dict[str, Any]:
    """Read back via trackio's storage layer (its public Api has no metric history)."""
    _, open_s = common.timed(SQLiteStorage.get_runs, "bench")
    one = common.timed(lambda: len(SQLiteStorage.get_metric_values("bench", ref, "k0")))
    names = [f"k{j}" for j in range(args.keys)]
    logs = common.timed(SQLiteStorage.get_logs, "bench", ref)
    all_ = (sum(1 for row in logs[0] for k in names if k in row), logs[1])
    return common.w1_read_result(open_s, one, all_, args)


if __name__ == "__main__":
    common.w1_main(start, read)
