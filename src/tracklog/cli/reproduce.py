"""``tracklog runs reproduce``: rebuild a run's code in a git worktree and re-run its command."""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
from pathlib import Path

import click

from tracklog.cli.state import CliState, pass_state
from tracklog.sdk.capture import DIFF_ARTIFACT
from tracklog.sdk.reproduce import REPRODUCED_FROM_TAG
from tracklog.sdk.reproduce_checkout import (
    Checkout,
    Recipe,
    check,
    child_environment,
    default_folder,
    find_repository,
    make_checkout,
    read_recipe,
    rerun_command,
    shell_line,
)
from tracklog.sdk.run_ref import resolve_run


class CommandFailedError(click.ClickException):
    """The re-run exited with a non-zero code; ``tracklog`` exits with the same code."""

    def __init__(self, message: str, exit_code: int) -> None:
        super().__init__(message)
        # click types exit_code as a ClassVar, yet its handlers (and ours) read the instance's.
        self.exit_code = exit_code  # type: ignore[misc]


@click.command("reproduce")
@click.argument("run_id")
@click.option(
    "--dir",
    "folder",
    type=click.Path(file_okay=False, path_type=Path),
    help="Where to make the worktree (new, or empty) "
    "[default: REPO-reproduce-RUNID next to the repository]",
)
@click.option(
    "--exec",
    "execute",
    is_flag=True,
    help="Run the recorded command there now, with this Python, as a new run tagged "
    f"{REPRODUCED_FROM_TAG}=RUN_ID.",
)
@pass_state
def reproduce(state: CliState, run_id: str, folder: Path | None, execute: bool) -> None:
    """Check out a run's recorded commit in a new git worktree, apply its diff.patch, write its
    requirements.txt, and print (or, with --exec, run) its recorded command.

    The worktree is made in the git repository around the current directory, or, outside one,
    in the repository the run was recorded in. The re-run gets the run's recorded config and
    project and is tagged reproduced_from=RUN_ID (see docs/capture.md, "Reproduce a run").
    RUN_ID is the full id or a unique prefix of at least 4 characters.
    """
    run = resolve_run(state.store, run_id)
    recipe = read_recipe(state.store, run)
    repo = find_repository(Path.cwd(), recipe)
    target = Path(os.path.abspath((folder or default_folder(repo, run)).expanduser()))
    env = child_environment(state.uri, run.id)  # a bad store URI fails before anything is made
    check(repo, recipe, target)
    checkout = make_checkout(repo, recipe, target)
    for warning in recipe.warnings:
        click.echo(f"warning: {warning}", err=True)
    _print_checkout(recipe, checkout)
    if not execute:
        _print_steps(recipe, checkout, env)
        return
    command = rerun_command(recipe, checkout, sys.executable)
    click.echo(f"running in {checkout.workdir}: {shlex.join(command)}")
    done = subprocess.run(command, cwd=checkout.workdir, env={**os.environ, **env})
    if done.returncode != 0:
        raise CommandFailedError(
            f"the recorded command exited with code {done.returncode} (the worktree stays at "
            f"{checkout.worktree})",
            done.returncode,
        )
    found = state.store.search_runs(
        filter=f"tags.{REPRODUCED_FROM_TAG} = '{run.id}'",
        order_by=["attributes.start_time DESC"],
        limit=1,
    )
    if found:
        new = found[0]
        click.echo(f"new run {new.id} ({new.name}), tagged {REPRODUCED_FROM_TAG}={run.id}")
    else:
        click.echo(
            f"warning: the command finished but no run tagged {REPRODUCED_FROM_TAG}={run.id} is "
            "in the store (did it call tracklog.init()?)",
            err=True,
        )


def _print_checkout(recipe: Recipe, checkout: Checkout) -> None:
    applied = f" + {DIFF_ARTIFACT}" if recipe.patch is not None else ""
    click.echo(
        f"run {recipe.run.id} ({recipe.run.name}): commit {recipe.commit[:12]}{applied} "
        f"checked out in {checkout.worktree} (a worktree of {checkout.repo})"
    )
    if checkout.requirements is not None:
        click.echo(f"recorded packages written to {checkout.requirements}")


def _print_steps(recipe: Recipe, checkout: Checkout, env: dict[str, str]) -> None:
    click.echo("\nTo reproduce it:")
    lines = [f"cd {shlex.quote(str(checkout.workdir))}"]
    if checkout.requirements is not None:
        lines.append(f"pip install -r {shlex.quote(str(checkout.requirements))}")
    lines.append(shell_line(env, rerun_command(recipe, checkout, "python")))
    for line in lines:
        click.echo(f"  {line}")
