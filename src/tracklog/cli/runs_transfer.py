"""``tracklog runs export`` and ``tracklog runs import``: move runs between stores."""

from __future__ import annotations

from pathlib import Path

import click

from tracklog.cli.state import CliState, pass_state
from tracklog.sdk.run_ref import resolve_runs


@click.command("export")
@click.argument("run_ids", nargs=-1, required=True)
@click.option(
    "--out",
    "out",
    required=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="Folder to write one <run_id>/ folder per run into.",
)
@pass_state
def export(state: CliState, run_ids: tuple[str, ...], out: Path) -> None:
    """Export runs to portable folders (run.json, metrics.parquet, files/).

    Each RUN_ID is a full id or a unique prefix of at least 4 characters.
    """
    from tracklog.store.transfer import export_runs

    store = state.local_store()
    runs = list({r.id: r for r in resolve_runs(store, run_ids)}.values())
    for run, folder in zip(runs, export_runs(store, [r.id for r in runs], out), strict=True):
        click.echo(f"exported {run.id} ({run.name}) to {folder}")


@click.command("import")
@click.argument("folder", type=click.Path(file_okay=False, path_type=Path))
@click.option("--new-id", is_flag=True, help="Import under fresh run ids.")
@pass_state
def import_(state: CliState, folder: Path, new_id: bool) -> None:
    """Import runs exported with 'runs export'.

    FOLDER is one run folder or a folder of run folders. Every folder is checked before
    anything is written; a run whose id exists already is refused unless --new-id.
    """
    from tracklog.store.transfer import import_runs

    store = state.local_store()
    for rid in import_runs(store, folder, new_id=new_id):
        click.echo(f"imported {rid}")
