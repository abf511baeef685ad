"""W1 log-scalars on W&B in offline mode (WANDB_MODE=offline; store: a .wandb file)."""

from __future__ import annotations

import argparse

import common
import wandb


def start(args: argparse.Namespace) -> common.W1Handle:
    """Open an offline run; the wandb-core service process does the writing."""
    run = wandb.init(project="bench", name="w1", dir=args.store, config={"steps": args.steps})
    return common.W1Handle(run.log, run.finish, run.id, close=wandb.teardown)


if __name__ == "__main__":
    # Offline runs have no local read API (they are readable only after `wandb sync`).
    common.w1_main(start, None)
