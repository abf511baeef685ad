"""Write W&B offline runs with the real wandb package: ``python write_wandb.py OUT``.

Run with WANDB_MODE=offline and WANDB_DIR=OUT (one run goes to OUT/odd/wandb). Each run's
logged rows and the wall-clock window around each ``log`` call (ms) are written to
``OUT/<run id>.json``.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import wandb


def write(out: Path, project: str, name: str, rows: list[dict[str, float]], **init: object) -> None:
    run = wandb.init(project=project, name=name, mode="offline", **init)
    logged = []
    for step, row in enumerate(rows):
        before = time.time() * 1000
        run.log(row, step=step * 2)
        logged.append({"step": step * 2, "row": row, "after": time.time() * 1000, "before": before})
    if name == "full":
        run.log({"loss": float("nan"), "lr": 1e-4}, step=99)
        run.summary["best_acc"] = 0.9
        (Path(run.dir) / "model.txt").write_text("weights")
        run.save(str(Path(run.dir) / "model.txt"), base_path=run.dir)
    run.finish()
    (out / f"{run.id}.json").write_text(json.dumps({"name": name, "logged": logged}))


if __name__ == "__main__":
    out = Path(sys.argv[1])
    write(
        out,
        "nlp",
        "full",
        [{"loss": 1.0 / (i + 1), "acc": i / 10} for i in range(5)],
        config={"lr": 0.1, "optimizer": {"name": "adam", "betas": [0.9, 0.99]}},
        tags=["baseline", "v2"],
        notes="first try",
        group="sweep-1",
        job_type="train",
    )
    write(out, "nlp", "small", [{"loss": 3.0}])
    # A name longer than tracklog's 256 characters, in a wandb/ folder of its own.
    (out / "odd").mkdir()
    write(out, "nlp", "x" * 300, [{"loss": 1.0}], dir=str(out / "odd"))
