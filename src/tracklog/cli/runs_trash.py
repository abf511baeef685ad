"""``tracklog runs rm`` and ``tracklog runs restore``: move runs to the trash and back."""

from __future__ import annotations

from collections.abc import Callable

import click

from tracklog.cli.state import CliState, pass_state
from tracklog.sdk.run_ref import resolve_runs


def _apply(
    state: CliState, refs: tuple[str, ...], action: Callable[[str], None], done: str
) -> None:
    # Resolve every id first, so a typo in the last one leaves the others untouched.
    for run in resolve_runs(state.store, refs):
        action(run.id)
        click.echo(f"{done} {run.id} ({run.name})")


@click.command("rm")
@click.argument("run_ids", nargs=-1, required=True)
@pass_state
def rm(state: CliState, run_ids: tuple[str, ...]) -> None:
    """Move runs to the trash ('runs restore' brings them back).

    Each RUN_ID is a full id or a unique prefix of at least 4 characters.
    """
    _apply(state, run_ids, state.store.delete_run, "deleted")


@click.command("restore")
@click.argument("run_ids", nargs=-1, required=True)
@pass_state
def restore(state: CliState, run_ids: tuple[str, ...]) -> None:
    """Bring runs back from the trash.

    Each RUN_ID is a full id or a unique prefix of at least 4 characters.
    """
    _apply(state, run_ids, state.store.restore_run, "restored")
