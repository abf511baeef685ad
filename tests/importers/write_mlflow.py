"""Write the MLflow test data with the real mlflow fluent API: ``python write_mlflow.py OUT``.

The same runs go into ``OUT/mlruns`` (file store) and ``OUT/mlflow.db`` (SQL store); their ids
are written to ``OUT/ids.json`` as {store: {run name: run id}}.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import mlflow

T0 = 1_700_000_000_000  # explicit timestamps, so the test knows every point


def write(uri: str, out: Path) -> dict[str, str]:
    mlflow.set_tracking_uri(uri)
    ids = {}
    mlflow.set_experiment("vision")
    with mlflow.start_run(run_name="parent") as parent:
        mlflow.log_params({"lr": 0.01, "layers": 3})
        mlflow.set_tags({"team": "cv", "mlflow.note.content": "baseline note"})
        mlflow.set_tag("mlflow.source.git.commit", "abc123")
        for step, value in enumerate([1.0, float("nan"), 0.25]):
            mlflow.log_metric("loss", value, step=step, timestamp=T0 + 1000 * step)
        mlflow.log_metric("acc", 0.5, step=10, timestamp=T0 + 10)
        mlflow.log_metric("acc", 0.75, step=20, timestamp=T0 + 20)
        weights = out / "weights.txt"
        weights.write_text("w1 w2")
        mlflow.log_artifact(str(weights), "model")
        with mlflow.start_run(run_name="child", nested=True) as child:
            mlflow.log_metric("loss", 0.5, step=0, timestamp=T0)
        ids["parent"], ids["child"] = parent.info.run_id, child.info.run_id
    with mlflow.start_run(run_name="gone") as gone:
        mlflow.log_metric("loss", 2.0, step=0, timestamp=T0)
    mlflow.delete_run(gone.info.run_id)
    ids["gone"] = gone.info.run_id
    mlflow.set_experiment("other")
    with mlflow.start_run(run_name="solo") as solo:
        mlflow.log_metric("x", -1.0, step=5, timestamp=T0 + 5)
    mlflow.end_run()
    ids["solo"] = solo.info.run_id
    return ids


if __name__ == "__main__":
    out = Path(sys.argv[1]).resolve()
    file_ids = write((out / "mlruns").as_uri(), out)
    # The SQL store puts artifacts under ./mlruns by default: keep them out of the file store.
    (out / "sql").mkdir()
    os.chdir(out / "sql")
    found = {"file": file_ids, "sqlite": write(f"sqlite:///{out / 'mlflow.db'}", out)}
    (out / "ids.json").write_text(json.dumps(found))
