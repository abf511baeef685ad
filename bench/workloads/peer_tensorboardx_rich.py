"""R1 and R2 on tensorboardX (store: an event file in the work dir); it has no table type."""

from __future__ import annotations

import argparse

import richdata
from tensorboardX import SummaryWriter


def start(args: argparse.Namespace) -> richdata.RichHandle:
    """A ``SummaryWriter``; ``add_image`` (PNG-encoded in the call) and ``add_histogram``
    (binned in the call); ``close()`` flushes the event file."""
    writer = SummaryWriter(logdir=str(args.store))
    return richdata.RichHandle(
        writer.close,
        str(args.store),
        image=lambda i, frame: writer.add_image("img", frame, i, dataformats="HWC"),
        histogram=lambda i, values: writer.add_histogram("h", values, i),
    )


if __name__ == "__main__":
    richdata.rich_main(start)
