"""``tracklog demo``: log a few small runs of a fake training loop, then list them."""

from __future__ import annotations

import math
import random
from typing import TYPE_CHECKING, Any, TypedDict

import click

from tracklog.cli.run_table import parse_columns, print_runs
from tracklog.cli.state import CliState, pass_state

if TYPE_CHECKING:
    from tracklog.sdk.run import Run

_STEPS = 50


class _DemoConfig(TypedDict):
    lr: float
    optimizer: dict[str, Any]


_CONFIGS: list[_DemoConfig] = [  # cycled through, so consecutive runs differ visibly
    {"lr": 1e-3, "optimizer": {"name": "adam", "weight_decay": 0.0}},
    {"lr": 3e-4, "optimizer": {"name": "adam", "weight_decay": 0.01}},
    {"lr": 1e-2, "optimizer": {"name": "sgd", "weight_decay": 0.0}},
]
_COLUMNS = "params.lr,params.optimizer.name,metrics.loss,metrics.acc"


DEMO_LABEL = "demo"


@click.command("demo")
@click.option("--runs", "n_runs", type=click.IntRange(1, 100), default=3, show_default=True)
@click.option("--project", default="demo", show_default=True, help="Project to log into.")
@click.option("--remove", is_flag=True, help="Move the project's demo runs to the trash instead.")
@pass_state
def demo(state: CliState, n_runs: int, project: str, remove: bool) -> None:
    """Log a few demo runs and list them (or, with --remove, move them to the trash).

    Each is a fake training loop with a config, loss and accuracy curves and the label "demo".
    """
    if remove:
        removed = remove_demo_runs(state, project)
        click.echo(
            f"moved {removed} demo run{'' if removed == 1 else 's'} of {project!r} to the trash"
        )
        return
    ids = log_demo_runs(state.uri, n_runs, project)
    print_runs([state.store.get_run(i) for i in ids], parse_columns([_COLUMNS]))


def log_demo_runs(uri: str, n_runs: int, project: str) -> list[str]:
    """Log ``n_runs`` demo runs (labelled "demo") into ``project`` of store ``uri``."""
    import tracklog
    from tracklog.sdk.stores import using_tracking_uri

    ids = []
    with using_tracking_uri(uri):
        for i in range(n_runs):
            base = _CONFIGS[i % len(_CONFIGS)]
            config = {**base, "batch_size": 32 * (i + 1), "seed": i}
            with tracklog.init(
                project=project, config=config, tags=[DEMO_LABEL], mode="online"
            ) as run:
                _train(run, base["lr"], random.Random(i))
            ids.append(run.id)
    return ids


def remove_demo_runs(state: CliState, project: str) -> int:
    """Move the runs labelled "demo" of ``project`` to the trash; answer how many."""
    if not state.store.projects(project):
        return 0
    found = [r for r in state.store.search_runs([project]) if DEMO_LABEL in r.labels]
    for run in found:
        state.store.delete_run(run.id)
    return len(found)


def _train(run: Run, lr: float, rng: random.Random) -> None:
    """A fake training loop: loss decays (faster for a larger lr), accuracy rises, plus noise."""
    rate = 3 + 40 * lr
    for step in range(_STEPS):
        progress = 1 - math.exp(-rate * step / _STEPS)
        loss = 2.3 * (1 - progress) + 0.1 + rng.gauss(0, 0.03)
        acc = 0.1 + 0.85 * progress + rng.gauss(0, 0.01)
        run.log({"loss": loss, "acc": min(acc, 1.0)}, step=step)
