"""``tracklog runs compare``: config and summary of several runs side by side."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import click
from rich.table import Table
from rich.text import Text

from tracklog.cli import output
from tracklog.cli.state import CliState, pass_state
from tracklog.sdk.run_ref import resolve_runs
from tracklog.store import params as params_view
from tracklog.store.records import RunRecord

_ABSENT = object()  # a key the run does not have (None is a real config value)
_DIFFERS = "bold yellow"


@click.command("compare")
@click.argument("run_ids", nargs=-1, required=True)
@click.option("--all", "show_all", is_flag=True, help="Show equal config keys too.")
@pass_state
def compare(state: CliState, run_ids: tuple[str, ...], show_all: bool) -> None:
    """Compare runs side by side: config that differs, summary metrics.

    Config keys with equal values in every run are hidden unless --all is given.
    Each RUN_ID is a full id or a unique prefix of at least 4 characters.
    """
    if len(run_ids) < 2:
        raise click.UsageError("compare needs at least two runs")
    runs = resolve_runs(state.store, run_ids)
    headers = [f"{r.name} ({r.id[:8]})" for r in runs]
    t = output.table("", "key", *headers)
    configs = [params_view.flatten(r.config) for r in runs]
    hidden = _add_rows(t, "params.", configs, show_all)
    t.add_section()
    _add_rows(t, "metrics.", [r.summary for r in runs], show_all=True)
    t.add_section()
    _add_rows(t, "", [_attributes(r) for r in runs], show_all=True)
    output.console().print(t)
    if hidden:
        keys = "key" if hidden == 1 else "keys"
        click.echo(f"{hidden} equal config {keys} hidden; --all shows them", err=True)


def _attributes(run: RunRecord) -> dict[str, Any]:
    return {
        "project": run.project,
        "status": run.status,
        "duration": output.run_duration(run.start_time, run.end_time),
    }


def _add_rows(t: Table, prefix: str, values: Sequence[Mapping[str, Any]], show_all: bool) -> int:
    """Add a row per key of any run, ``*`` marking keys whose values differ; return how many
    equal keys were left out."""
    keys = sorted({k for v in values for k in v})
    hidden = 0
    for key in keys:
        row = [v.get(key, _ABSENT) for v in values]
        differs = any(x != row[0] for x in row[1:])
        if not differs and not show_all:
            hidden += 1
            continue
        style = _DIFFERS if differs else ""
        t.add_row(
            Text("*" if differs else ""),
            Text(prefix + key, style=style),
            *(
                Text(output.MISSING if x is _ABSENT else output.fmt_value(x), style=style)
                for x in row
            ),
        )
    return hidden
