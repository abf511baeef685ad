"""R1-R3 rich data on W&B in offline mode (WANDB_MODE=offline; store: the run's .wandb file
and media files under the work dir)."""

from __future__ import annotations

import argparse

import richdata
import wandb


def start(args: argparse.Namespace) -> richdata.RichHandle:
    """Open an offline run; ``wandb.Image``/``Histogram``/``Table`` through ``run.log``."""
    run = wandb.init(project="bench", name=args.mode, dir=args.store)
    return richdata.RichHandle(
        run.finish,
        run.id,
        image=lambda i, frame: run.log({"img": wandb.Image(frame)}, step=i),
        histogram=lambda i, values: run.log({"h": wandb.Histogram(values)}, step=i),
        table=lambda frame: run.log({richdata.TABLE_KEY: wandb.Table(dataframe=frame)}),
        close=wandb.teardown,
    )


if __name__ == "__main__":
    # Offline runs have no local read API (they are readable only after `wandb sync`).
    richdata.rich_main(start)
