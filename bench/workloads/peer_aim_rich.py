"""R1 and R2 on Aim (store: an Aim repository in the work dir); it has no table type."""

from __future__ import annotations

import argparse

import richdata

import aim


def start(args: argparse.Namespace) -> richdata.RichHandle:
    """An ``aim.Run`` in a repository in the store dir; ``run.track`` of ``aim.Image`` (PNG
    encoded in the call) and ``aim.Distribution``; ``run.close()`` until stored."""
    run = aim.Run(repo=str(args.store), experiment="bench", system_tracking_interval=None)
    return richdata.RichHandle(
        run.close,
        run.hash,
        image=lambda i, frame: run.track(aim.Image(frame), name="img", step=i),
        histogram=lambda i, values: run.track(aim.Distribution(values), name="h", step=i),
    )


if __name__ == "__main__":
    richdata.rich_main(start)
