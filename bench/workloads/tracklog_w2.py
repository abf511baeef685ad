"""W2 many-runs on tracklog: create runs, then query with a filter and order_by."""

from __future__ import annotations

import argparse
import functools
import os
from collections.abc import Callable
from typing import Any

import common

import tracklog


def setup(args: argparse.Namespace) -> Callable[[dict[str, Any]], None]:
    """Return ``create(run)``: init with params and tags, log 5 metrics per step, finish."""

    def create(spec: dict[str, Any]) -> None:
        run = tracklog.init(
            project="w2", name=spec["name"], config=spec["params"], tags=spec["tags"]
        )
        for step, row in enumerate(spec["rows"]):
            run.log(row, step=step)
        run.finish()

    return create


@functools.cache
def api() -> tracklog.Api:
    """One Api per (fresh) query process; the first, cold query includes opening it."""
    return tracklog.Api(os.environ["TRACKLOG_URI"])


def query(args: argparse.Namespace) -> int:
    """Run the W2 query and return the number of matches."""
    return len(api().runs("w2", filter=common.W2_FILTER, order_by=common.W2_ORDER))


if __name__ == "__main__":
    common.w2_main(setup, query)
