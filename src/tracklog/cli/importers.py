"""``tracklog import mlflow|wandb|json``: bring other trackers' runs in."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

import click

from tracklog.cli.state import CliState, pass_state

if TYPE_CHECKING:
    from tracklog.importers.imported_run import SourceRun
    from tracklog.importers.tensorboard_events import FolderReader
    from tracklog.store.tracking import Store


@click.group("import")
def import_group() -> None:
    """Import runs from MLflow, W&B, TensorBoard or a JSON tracker's folders (see
    docs/migrate.md)."""


@import_group.command("mlflow")
@click.argument("source", metavar="PATH_OR_URI")
@click.option("--project", metavar="NAME", help="Put every run into this project.")
@click.option(
    "--experiment",
    "experiments",
    multiple=True,
    metavar="NAME_OR_ID",
    help="Import only this experiment (repeatable) [default: every active one].",
)
@pass_state
def mlflow(state: CliState, source: str, project: str | None, experiments: tuple[str, ...]) -> None:
    """Import MLflow runs from an mlruns folder or a tracking URI.

    PATH_OR_URI is an mlruns folder, sqlite:///mlflow.db, http://host:5000 or any MLflow
    tracking URI. Each experiment becomes a project of the same name (unless --project), each
    run a run with its params, tags, every metric point and its artifacts. Runs imported
    before are skipped. Needs the mlflow package.
    """
    from tracklog.importers.mlflow import read_runs

    _import(state.local_store(), read_runs(source, experiments, project))


@import_group.command("wandb")
@click.argument("folder", type=click.Path(path_type=Path))
@click.option("--project", metavar="NAME", help="Put every run into this project.")
@pass_state
def wandb(state: CliState, folder: Path, project: str | None) -> None:
    """Import W&B offline runs from their folders.

    FOLDER is one run folder (wandb/offline-run-*) or a wandb/ folder holding several. Each
    run keeps its project (unless --project), name, id, config, summary, history, tags,
    notes, group, job type and the files in its files/ folder. Runs imported before are
    skipped. Needs the wandb package.
    """
    from tracklog.importers.wandb import read_runs

    _import(state.local_store(), read_runs(folder, project))


@import_group.command("json")
@click.argument("folder", type=click.Path(path_type=Path))
@click.option(
    "--project", metavar="NAME", help="Put the runs into this project [default: FOLDER's name]."
)
@pass_state
def json_folders(state: CliState, folder: Path, project: str | None) -> None:
    """Import a home-grown JSON tracker's experiment folders.

    FOLDER is one experiment folder (holding experiment.json, and optionally config.json and
    artifacts/) or a folder of them; each becomes a run with its config, metric points, status,
    times and files. A folder whose files cannot be read is named and skipped, the others
    imported; runs imported before are skipped. The format is in docs/migrate.md.
    """
    from tracklog.importers.json_folder import read_runs

    _import(state.local_store(), read_runs(folder, project), keep_going=True)


@import_group.command("tensorboard")
@click.argument("logdir", type=click.Path(path_type=Path))
@click.option(
    "--project", metavar="NAME", help="Put the runs into this project [default: LOGDIR's name]."
)
@click.option(
    "--follow", is_flag=True, help="Keep watching for new event files and points until stopped."
)
@click.option(
    "--interval",
    type=click.FloatRange(0.1, 3600),
    default=1.0,
    show_default=True,
    help="Seconds between looks with --follow.",
)
@pass_state
def tensorboard(
    state: CliState, logdir: Path, project: str | None, follow: bool, interval: float
) -> None:
    """Import a TensorBoard logdir: each folder of event files becomes a run.

    Scalars (TF1 and TF2), histograms, images, text and the hparams plugin's values are
    read with the tensorboard package (pip install 'tracklog[tensorboard]'). A run's name is
    its folder under LOGDIR. Importing again appends only what the files gained since; a
    damaged file is imported up to the damage, with a warning naming the file and offset.
    """
    import time

    store = state.local_store()
    readers: dict[Path, FolderReader] = {}  # with --follow: each folder read on, not again
    warned: set[str] = set()
    try:
        while True:
            _tensorboard_pass(store, logdir, project, readers if follow else None, warned)
            if not follow:
                return
            time.sleep(interval)
    except KeyboardInterrupt:  # how --follow is stopped; the next import completes a cut one
        click.echo("stopped")


def _tensorboard_pass(
    store: Store,
    logdir: Path,
    project: str | None,
    readers: dict[Path, FolderReader] | None,
    warned: set[str],
) -> None:
    """Import (or bring up to date) each run folder once, saying what each got (following,
    with ``readers``: only what changed) and each warning once."""
    from tracklog.importers.tensorboard import import_logdir

    for outcome in import_logdir(store, logdir, project, readers):
        for warning in outcome.warnings:
            if warning not in warned:
                warned.add(warning)
                click.echo(f"warning: {warning}", err=True)
        what = f"{outcome.name} as {outcome.run_id}"
        if outcome.wrote:
            verb = "imported" if outcome.created else "appended to"
            click.echo(
                f"{verb} {what}: {outcome.points} points, {outcome.histograms} "
                f"histograms, {outcome.media} media"
            )
        elif readers is None:
            click.echo(f"skipped {what}: up to date")


def _import(store: Store, runs: Iterable[SourceRun], keep_going: bool = False) -> None:
    """Write each run as soon as it is read, and say what became of it. With ``keep_going``,
    a run whose source cannot be read is named and skipped (exit status 1 at the end)."""
    from tracklog.importers.imported_run import ImportSourceError, import_run

    written = points = files = skipped = 0
    unreadable: list[str] = []
    for source in runs:
        try:
            outcome = import_run(store, source)
        except ImportSourceError as exc:
            if not keep_going:
                raise
            click.echo(f"error: {exc}; skipped", err=True)
            unreadable.append(source.source_id)
            continue
        for warning in outcome.warnings:
            click.echo(f"warning: {warning}", err=True)
        what = f"{source.source_id} ({source.name})"
        if outcome.run is None:
            skipped += 1
            click.echo(f"skipped {what}: already imported as {outcome.run_id}")
            continue
        written += 1
        points += outcome.run.point_count
        files += outcome.files
        click.echo(
            f"imported {what} as {outcome.run_id} into {outcome.run.project!r}: "
            f"{outcome.run.point_count} points, {outcome.files} files"
        )
    click.echo(
        f"imported {written} {'run' if written == 1 else 'runs'} "
        f"({points} points, {files} files); skipped {skipped} already imported"
    )
    if unreadable:
        raise click.ClickException(
            f"{len(unreadable)} could not be read (named above): {', '.join(unreadable)}"
        )
