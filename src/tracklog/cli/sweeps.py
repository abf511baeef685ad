"""``tracklog sweep`` and ``tracklog agent``: W&B's ``wandb sweep`` and ``wandb agent``."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from tracklog.cli.state import CliState, pass_state

if TYPE_CHECKING:
    from tracklog.store.sweep_records import SweepState

_ACTIONS = ("pause", "resume", "stop", "cancel")


@click.command("sweep")
@click.argument("target", metavar="CONFIG_OR_ID")
@click.option("--project", help="Project of the new sweep [default: the config's, else default]")
@click.option("--name", help="Name of the new sweep [default: the config's]")
@click.option("--pause", "action", flag_value="pause", help="Pause sweep ID: no new trials.")
@click.option("--resume", "action", flag_value="resume", help="Resume paused sweep ID.")
@click.option("--stop", "action", flag_value="stop", help="No new trials; running ones finish.")
@click.option("--cancel", "action", flag_value="cancel", help="Stop sweep ID and its trials.")
@pass_state
def sweep(
    state: CliState, target: str, project: str | None, name: str | None, action: str | None
) -> None:
    """Create a sweep from a W&B sweep config (YAML) and print its id and the agent command;
    or, with --pause, --resume, --stop or --cancel, control sweep ID."""
    sweeps = _sweeps(state)
    if action is not None:
        record = sweeps.control(target, action)
        click.echo(f"sweep {record.id}: {record.status}")
        return
    from tracklog.store.sweep_config import parse, read_config
    from tracklog.sweeps import api, command

    raw = read_config(target)
    command.require_program(parse(raw))  # the CLI's agents run the program
    record = api.create(raw, project, name, sweeps)
    click.echo(f"Created sweep {record.id} in project {record.project}")
    click.echo(f"Run agents with: tracklog agent {record.id}")


@click.command("agent")
@click.argument("sweep_id")
@click.option("--project", help="The project the sweep must be in.")
@click.option("--count", type=click.IntRange(min=1), help="Run at most this many trials.")
@click.option(
    "--gpus",
    metavar="0,1,...",
    help="Run one trial at a time per listed device, with CUDA_VISIBLE_DEVICES set to it.",
)
@pass_state
def agent(
    state: CliState, sweep_id: str, project: str | None, count: int | None, gpus: str | None
) -> None:
    """Run trials of SWEEP_ID, each the sweep's command as a subprocess with the trial's
    arguments, until the sweep has no more (or COUNT of them)."""
    from tracklog.sweeps import api

    devices = _devices(gpus) if gpus is not None else []
    ran = api.runner(_sweeps(state), sweep_id, project, state.uri).run(None, count, devices)
    click.echo(f"agent ran {ran} trial(s) of sweep {sweep_id}", err=True)


def _sweeps(state: CliState) -> SweepState:
    from tracklog.sweeps.api import sweeps_of

    return sweeps_of(state.store)


def _devices(gpus: str) -> list[str]:
    devices = [d.strip() for d in gpus.split(",")]
    if not all(devices) or len(set(devices)) != len(devices):
        raise click.BadParameter(
            f"a list of distinct device ids, got {gpus!r}", param_hint="--gpus"
        )
    return devices
