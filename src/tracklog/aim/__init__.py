"""Aim's face: ``from tracklog.aim import Run`` in place of ``from aim import Run``.

    from tracklog.aim import Run
    run = Run(repo="./tracklog", experiment="mnist")
    run["hparams"] = {"lr": 1e-3}
    run.track(0.9, name="acc", step=1, context={"subset": "val"})
    run.close()

A thin layer over :class:`tracklog.Run`: Aim's names and arguments, tracklog's store. See
docs/migrate.md, "From Aim".
"""

from tracklog.aim.objects import Audio, Distribution, Figure, Image, Text
from tracklog.aim.repo import Repo
from tracklog.aim.run import Run

__all__ = ["Audio", "Distribution", "Figure", "Image", "Repo", "Run", "Text"]
