"""R1-R3 rich data on trackio in local mode (store: $TRACKIO_DIR, one SQLite file per project
and media files beside it)."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import Any

import richdata
import trackio
from trackio import SQLiteStorage


def start(args: argparse.Namespace) -> richdata.RichHandle:
    """Open a local run; ``trackio.Image``/``Histogram``/``Table`` through ``run.log``, which
    queues rows for trackio's background writer; ``trackio.finish()`` waits for it."""
    run = trackio.init(project="bench", name=args.mode)
    return richdata.RichHandle(
        trackio.finish,
        args.mode,
        image=lambda i, frame: run.log({"img": trackio.Image(frame)}, step=i),
        histogram=lambda i, values: run.log({"h": trackio.Histogram(values)}, step=i),
        table=lambda frame: run.log({richdata.TABLE_KEY: trackio.Table(dataframe=frame)}),
    )


def open_table(args: argparse.Namespace, ref: str) -> Callable[[], Any]:
    """The read call: the run's logged rows from trackio's storage (its public ``Api`` has no
    table access), the table's cells made a DataFrame."""
    import pandas as pd

    SQLiteStorage.get_runs("bench")

    def read() -> Any:
        logs = SQLiteStorage.get_logs("bench", ref)
        value = next(row[richdata.TABLE_KEY] for row in logs if richdata.TABLE_KEY in row)
        return pd.DataFrame(value["_value"])

    return read


if __name__ == "__main__":
    richdata.rich_main(start, open_table)
