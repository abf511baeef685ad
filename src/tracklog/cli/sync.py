"""``tracklog sync``: apply offline journals to the store, or send them to a server."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

from tracklog.cli import output
from tracklog.cli.state import CliState, pass_state
from tracklog.errors import TracklogError

if TYPE_CHECKING:
    from tracklog.sdk.sync import SyncResult
    from tracklog.store.interface import TrackingStore


def default_journal_root() -> Path:
    """Where ``tracklog.init(mode="offline")`` run here writes journals by default.

    This follows the SDK's tracking URI, not ``--uri``: ``--uri`` names where the runs go.
    """
    from tracklog.sdk.fluent import offline_dir
    from tracklog.sdk.stores import get_tracking_uri

    return offline_dir(get_tracking_uri(), Path.cwd())


@click.command("sync")
@click.argument("paths", nargs=-1, type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option(
    "--uri",
    metavar="URI",
    help="Where to apply them (as 'tracklog --uri'): a store or a server's http(s)://HOST:PORT.",
)
@pass_state
def sync(state: CliState, paths: tuple[Path, ...], uri: str | None) -> None:
    """Apply the journals of offline runs to the store.

    --uri picks the store, or a tracklog server (http://HOST:PORT). Each PATH is a run's
    journal folder or a folder holding several (default: the offline/ folder of the default
    store; runs logged to a server keep their journals there too). Syncing again applies only
    what is new.
    """
    from tracklog.sdk.sync import find_journals, sync_folder

    if uri is not None:
        state.uri_option = uri
    roots = list(paths) or [default_journal_root()]
    folders = [f for root in roots if root.is_dir() for f in find_journals(root)]
    if not folders:
        where = ", ".join(str(root.absolute()) for root in roots)
        click.echo(f"no offline runs in {where}", err=True)
        return
    failed = 0
    for folder in folders:
        try:
            result = sync_folder(state.store, folder)
            click.echo(_describe(state.store, result))
        except TracklogError as exc:
            # One bad journal must not keep the others from being applied.
            output.print_error(f"{folder}: {output.error_line(exc)}")
            failed += 1
    if failed:
        raise click.exceptions.Exit(1)


def _describe(store: TrackingStore, result: SyncResult) -> str:
    """One line: the run, what was applied now, and what the store holds of it."""
    if not result.applied:
        return f"{result.folder}: already up to date"
    assert result.run_id is not None  # a journal's first record creates its run
    run = store.get_run(result.run_id)
    stats = store.series_stats(run.id)
    points = sum(s.count for s in stats)
    return (
        f"{run.id} ({run.name}, project {run.project}): applied {result.applied} journal "
        f"records; now {run.status} with {len(stats)} metric series, {points} points"
    )
