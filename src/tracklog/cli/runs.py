"""The ``tracklog runs`` command group."""

from __future__ import annotations

import click

from tracklog.cli.reproduce import reproduce
from tracklog.cli.runs_compare import compare
from tracklog.cli.runs_diff import diff
from tracklog.cli.runs_ls import ls
from tracklog.cli.runs_show import show
from tracklog.cli.runs_transfer import export, import_
from tracklog.cli.runs_trash import restore, rm


@click.group("runs")
def runs() -> None:
    """List, inspect, compare, diff, reproduce, delete and restore runs."""


for command in (ls, show, compare, diff, rm, restore, reproduce):
    runs.add_command(command)
runs.add_command(export)
runs.add_command(import_)
