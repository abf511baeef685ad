"""``tracklog projects ls``: every project with its run count and last activity."""

from __future__ import annotations

import click

from tracklog.cli import output
from tracklog.cli.state import CliState, pass_state


@click.group("projects")
def projects() -> None:
    """List projects."""


@projects.command("ls")
@click.option("--json", "as_json", is_flag=True, help="Print projects as JSON lines.")
@pass_state
def ls(state: CliState, as_json: bool) -> None:
    """List projects: name, number of runs (not counting the trash), last activity."""
    found = state.api.projects()
    if as_json:
        for p in found:
            output.echo_json(p)
        return
    if not found:
        click.echo("no projects yet", err=True)
        return
    t = output.table("name", "runs", "last activity")
    for p in found:
        t.add_row(*output.cells(p.name, p.run_count, output.fmt_time(p.last_activity)))
    output.console().print(t)
