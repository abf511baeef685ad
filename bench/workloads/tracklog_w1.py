"""W1 log-scalars on tracklog (store: $TRACKLOG_URI, a SQLite file in the work dir)."""

from __future__ import annotations

import argparse
import os
from typing import Any

import common

import tracklog


def start(args: argparse.Namespace) -> common.W1Handle:
    """Open the run; W1 then calls ``run.log(d, step=i)`` per step and ``run.finish()``."""
    run = tracklog.init(project="bench", name="w1", config={"steps": args.steps})
    return common.W1Handle(run.log, run.finish, str(run.id))


def read(args: argparse.Namespace, ref: str) -> dict[str, Any]:
    """Read back one series, then all series, through a fresh ``tracklog.Api``."""
    names = [f"k{j}" for j in range(args.keys)]
    uri = os.environ["TRACKLOG_URI"]
    run, open_s, open_cpu_s = common.timed_cpu(lambda: tracklog.Api(uri).run(ref))
    one = common.timed(lambda: len(run.series("k0").values))
    all_ = common.timed(lambda: sum(len(run.series(k).values) for k in names))
    return {**common.w1_read_result(open_s, one, all_, args), "read_open_cpu_s": open_cpu_s}


if __name__ == "__main__":
    common.w1_main(start, read)
