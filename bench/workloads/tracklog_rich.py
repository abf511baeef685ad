"""R1-R3 rich data on tracklog (store: $TRACKLOG_URI, a SQLite file in the work dir; media
files under the run's artifact root in the work dir)."""

from __future__ import annotations

import argparse
import os
from collections.abc import Callable
from typing import Any

import richdata

import tracklog


def start(args: argparse.Namespace) -> richdata.RichHandle:
    """Open the run; every value goes through ``run.log`` (encoded on the writer thread)."""
    run = tracklog.init(project="bench", name=args.mode)
    return richdata.RichHandle(
        run.finish,
        str(run.id),
        image=lambda i, frame: run.log({"img": tracklog.Image(frame)}, step=i),
        histogram=lambda i, values: run.log({"h": tracklog.Histogram(values)}, step=i),
        table=lambda frame: run.log({richdata.TABLE_KEY: tracklog.Table(dataframe=frame)}),
    )


def open_table(args: argparse.Namespace, ref: str) -> Callable[[], Any]:
    """Look the run up with a fresh ``tracklog.Api``; the read call is ``run.table(key)``."""
    run = tracklog.Api(os.environ["TRACKLOG_URI"]).run(ref)
    return lambda: run.table(richdata.TABLE_KEY)


if __name__ == "__main__":
    richdata.rich_main(start, open_table)
