# A typical W&B training script, as W&B's docs write one. The test runs it with the first
# import line changed to `import tracklog as wandb` and nothing else.
import argparse
import math
import os

import numpy as np
import wandb

parser = argparse.ArgumentParser()
parser.add_argument("--lr", type=float, default=0.01)
parser.add_argument("--epochs", type=int, default=3)
parser.add_argument("--debug", action="store_true")
args = parser.parse_args([])

run = wandb.init(
    project="mnist",
    entity="my-team",
    name="baseline",
    config=args,
    config_exclude_keys=["debug"],
    tags=["baseline", "cnn"],
    notes="first try",
    group="sweep-1",
    job_type="train",
    save_code=False,
    reinit=True,
    settings={"console": False},
    magic=True,
)
wandb.config.update({"batch_size": 64, "optimizer": "adam"})
wandb.config.setdefaults({"epochs": 99, "seed": 7})
run.config.dropout = 0.1
wandb.define_metric("val/loss", summary="best", goal="minimize")
wandb.define_metric("val/acc", summary="max")

with open("notes.txt", "w") as f:
    f.write("config saved")
wandb.save("notes.txt", policy="now")
with open(os.path.join(wandb.run.dir, "model.txt"), "w") as f:
    f.write("weights")

rng = np.random.default_rng(0)
for epoch in range(wandb.config.epochs):
    for batch in range(10):
        loss = math.exp(-0.1 * (epoch * 10 + batch))
        wandb.log({"train/loss": loss, "epoch": epoch})
    val_loss = 0.5 / (epoch + 1) if epoch < 2 else 0.4
    wandb.log(
        {
            "val/loss": val_loss,
            "val/acc": 0.7 + 0.1 * epoch,
            "weights": wandb.Histogram(rng.normal(size=100)),
            "sample": wandb.Text(f"epoch {epoch}"),
        }
    )
    if math.isnan(val_loss) or val_loss < 0.3:
        wandb.alert(title="low loss", text=f"val/loss {val_loss}", level=wandb.AlertLevel.INFO)
wandb.alert(title="done", text="training finished", level="INFO")
wandb.summary["test_acc"] = 0.91
run.summary.update({"params": 1234})
run.name = "baseline-final"
print(run.id, run.project, run.entity, run.name, flush=True)
wandb.finish(exit_code=0, quiet=True)
