"""``tracklog runs ls``: search runs and print them as a table or JSON lines."""

from __future__ import annotations

import click

from tracklog.cli import output
from tracklog.cli.run_table import implied_columns, parse_columns, print_runs
from tracklog.cli.state import CliState, pass_state


@click.command("ls")
@click.option(
    "--project", "-p", "projects", multiple=True, help="Only runs of this project (repeatable)."
)
@click.option(
    "--filter",
    "-f",
    "filter_",
    metavar="EXPR",
    help='e.g. "metrics.acc > 0.9 and params.lr < 1e-3".',
)
@click.option(
    "--sort",
    "-s",
    "sort",
    multiple=True,
    metavar="CLAUSE",
    help='e.g. "metrics.val_acc DESC" (repeatable).',
)
@click.option("--limit", "-n", type=click.IntRange(min=1), help="Show at most N runs.")
@click.option("--deleted", is_flag=True, help="Include runs in the trash.")
@click.option(
    "--columns",
    "-c",
    multiple=True,
    metavar="KEYS",
    help="Extra columns, e.g. params.lr,metrics.acc.",
)
@click.option("--json", "as_json", is_flag=True, help="Print full run records as JSON lines.")
@pass_state
def ls(
    state: CliState,
    projects: tuple[str, ...],
    filter_: str | None,
    sort: tuple[str, ...],
    limit: int | None,
    deleted: bool,
    columns: tuple[str, ...],
    as_json: bool,
) -> None:
    """List runs, newest first unless --sort says otherwise."""
    extra = [*parse_columns(columns), *implied_columns(filter_, sort)]
    runs = state.store.search_runs(
        list(projects) or None, filter_, list(sort), limit, "all" if deleted else "active"
    )
    if as_json:
        for r in runs:
            output.echo_json(r)
    elif runs:
        print_runs(runs, extra)
    else:
        click.echo("no runs found", err=True)
