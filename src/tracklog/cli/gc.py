"""``tracklog gc``: purge the runs in the trash, and their files, for good."""

from __future__ import annotations

import sys

import click

from tracklog.cli import output
from tracklog.cli.state import CliState, pass_state

_DAY_MS = 86_400_000


@click.command("gc")
@click.option("--dry-run", is_flag=True, help="Only list what would be purged.")
@click.option(
    "--older-than",
    "days",
    type=click.FloatRange(min=0),
    metavar="DAYS",
    help="Only purge runs deleted at least DAYS days ago.",
)
@click.option("--yes", "-y", is_flag=True, help="Purge without asking.")
@pass_state
def gc(state: CliState, dry_run: bool, days: float | None, yes: bool) -> None:
    """Purge runs in the trash ('runs rm') with all their data and files, for good.

    Lists the runs first and asks before purging, unless --yes is given.
    """
    store = state.local_store()
    older = None if days is None else round(days * _DAY_MS)
    runs = store.purge_deleted_runs(older, dry_run=True)
    if not runs:
        click.echo("nothing to purge: no runs in the trash" + ("" if days is None else " that old"))
        return
    sizes = {r.id: sum(f.size for f in store.list_files(r.id)) for r in runs}
    t = output.table("id", "name", "project", "files")
    for r in runs:
        t.add_row(*output.cells(r.id, r.name, r.project, output.fmt_bytes(sizes[r.id])))
    output.console().print(t)
    total = output.fmt_bytes(sum(sizes.values()))
    noun = "run" if len(runs) == 1 else "runs"
    if dry_run:
        click.echo(f"would purge {len(runs)} {noun}, {total} of files (dry run: nothing changed)")
        return
    if not yes:
        if not _interactive():
            raise click.ClickException(
                f"refusing to purge {len(runs)} {noun} without confirmation: "
                "stdin is not a terminal; pass --yes"
            )
        click.confirm(f"Purge {len(runs)} {noun} ({total}) for good?", abort=True)
    purged = store.purge_deleted_runs(older, run_ids=[r.id for r in runs])
    freed = output.fmt_bytes(sum(sizes[r.id] for r in purged))
    noun = "run" if len(purged) == 1 else "runs"
    click.echo(f"purged {len(purged)} {noun}, {freed} of files")
    if len(purged) < len(runs):
        click.echo(f"{len(runs) - len(purged)} left the trash meanwhile and were kept", err=True)


def _interactive() -> bool:
    """Whether a person can answer the confirmation (stdin is a terminal)."""
    return sys.stdin.isatty()
