"""``tracklog import mlflow``: an mlruns folder and an MLflow database, written by the real
mlflow package, imported point for point; bad sources refused without a half run."""

from __future__ import annotations

import math
import shutil
from pathlib import Path

from importer_helpers import Import
from sqlalchemy import select

import tracklog
from tracklog.store import schema
from tracklog.store.tracking import Store

T0 = 1_700_000_000_000  # the timestamps write_mlflow.py logs at

Data = tuple[Path, dict[str, dict[str, str]]]


def _parent_of(store_uri: str, run_id: str) -> str | None:
    store = Store(store_uri)
    try:
        with store.engine.connect() as conn:
            r = schema.runs
            return conn.execute(select(r.c.parent_run_id).where(r.c.id == run_id)).scalar_one()
    finally:
        store.close()


def test_mlruns_folder_is_imported_point_for_point(
    mlflow_data: Data, run_import: Import, api: tracklog.Api, store_at: str, tmp_path: Path
) -> None:
    folder, ids = mlflow_data
    ids = ids["file"]
    result = run_import("mlflow", str(folder / "mlruns"))
    assert result.exit_code == 0, result.output
    assert "imported 4 runs (8 points, 1 files); skipped 0" in result.output

    parent = api.run(ids["parent"])  # the MLflow run id is kept
    assert (parent.project, parent.name, parent.status) == ("vision", "parent", "FINISHED")
    assert parent.config == {"lr": "0.01", "layers": "3"}
    assert [r.name for r in api.runs(filter="params.lr < 0.1")] == ["parent"]  # as a number
    assert parent.notes == "baseline note"
    assert parent.tags["team"] == "cv"
    assert "mlflow.note.content" not in parent.tags and "mlflow.runName" not in parent.tags
    assert parent.user and "mlflow.user" not in parent.tags
    assert parent.metadata["git"]["commit"] == "abc123"
    origin = parent.metadata["imported_from"]
    assert origin["source"] == "mlflow" and origin["run_id"] == ids["parent"]
    assert origin["tracking_uri"] == (folder / "mlruns").resolve().as_uri()
    assert parent.start_time <= parent.end_time

    loss = api.run(ids["parent"]).series("loss")
    assert loss.steps.tolist() == [0, 1, 2]
    assert loss.values[0] == 1.0 and math.isnan(loss.values[1]) and loss.values[2] == 0.25
    assert loss.timestamps.tolist() == [T0, T0 + 1000, T0 + 2000]
    acc = parent.series("acc")
    assert (acc.steps.tolist(), acc.values.tolist()) == ([10, 20], [0.5, 0.75])
    assert acc.timestamps.tolist() == [T0 + 10, T0 + 20]
    assert parent.summary == {"loss": 0.25, "acc": 0.75}
    assert parent.files() == ["model/weights.txt"]
    assert parent.download("model/weights.txt", tmp_path / "got").read_text() == "w1 w2"

    child = api.run(ids["child"])
    assert child.name == "child" and child.series("loss").values.tolist() == [0.5]
    assert _parent_of(store_at, ids["child"]) == ids["parent"]
    assert "mlflow.parentRunId" not in child.tags

    gone = api.run(ids["gone"])  # deleted in MLflow: imported into the trash
    assert gone.lifecycle_stage == "deleted"
    assert {r.name for r in api.runs("vision")} == {"parent", "child"}
    assert [r.name for r in api.runs("other")] == ["solo"]

    again = run_import("mlflow", str(folder / "mlruns"))
    assert again.exit_code == 0, again.output
    assert f"skipped {ids['parent']} (parent): already imported" in again.output
    assert "imported 0 runs (0 points, 0 files); skipped 4 already imported" in again.output
    assert len(api.runs(include_deleted=True)) == 4


def test_sqlite_uri_with_project_and_experiment(
    mlflow_data: Data, run_import: Import, api: tracklog.Api
) -> None:
    folder, ids = mlflow_data
    uri = f"sqlite:///{folder / 'mlflow.db'}"
    result = run_import("mlflow", uri, "--experiment", "vision", "--project", "moved")
    assert result.exit_code == 0, result.output
    assert [p.name for p in api.projects()] == ["Default", "moved"]  # MLflow's experiment 0
    parent = api.run(ids["sqlite"]["parent"])
    assert parent.project == "moved" and parent.metadata["imported_from"]["tracking_uri"] == uri
    loss = parent.series("loss")
    assert loss.timestamps.tolist() == [T0, T0 + 1000, T0 + 2000]
    assert math.isnan(loss.values[1])
    assert parent.files() == ["model/weights.txt"]
    assert {r.name for r in api.runs(include_deleted=True)} == {"parent", "child", "gone"}
    # The other experiment, chosen by its id (the SQL store numbers them 0, 1, 2), joins them.
    more = run_import("mlflow", uri, "--experiment", "2", "--project", "moved")
    assert more.exit_code == 0, more.output
    assert api.run(ids["sqlite"]["solo"]).project == "moved"


def test_bad_sources_are_refused_naming_them(
    run_import: Import, api: tracklog.Api, tmp_path: Path
) -> None:
    missing = run_import("mlflow", str(tmp_path / "nope"))
    assert missing.exit_code == 1 and f"{tmp_path / 'nope'}: no such folder" in missing.output
    (tmp_path / "empty").mkdir()
    empty = run_import("mlflow", str(tmp_path / "empty"))
    assert empty.exit_code == 1 and "not an MLflow mlruns folder" in empty.output
    db = run_import("mlflow", f"sqlite:///{tmp_path / 'none.db'}")
    assert db.exit_code == 1 and "no such MLflow database file" in db.output
    assert not (tmp_path / "none.db").exists()  # the mlflow client was never asked to make it
    assert [p.name for p in api.projects()] == ["Default"]  # nothing imported


def test_unknown_experiment_is_named(mlflow_data: Data, run_import: Import) -> None:
    folder, _ = mlflow_data
    result = run_import("mlflow", str(folder / "mlruns"), "--experiment", "nope")
    assert result.exit_code == 1
    assert "no MLflow experiment named or with id 'nope'" in result.output


def test_corrupt_metric_file_stops_without_a_half_run(
    mlflow_data: Data, run_import: Import, api: tracklog.Api, tmp_path: Path
) -> None:
    folder, ids = mlflow_data
    mlruns = Path(shutil.copytree(folder / "mlruns", tmp_path / "mlruns"))
    (metric,) = mlruns.glob(f"*/{ids['file']['parent']}/metrics/acc")
    metric.write_text(metric.read_text() + "not a metric line\n")
    result = run_import("mlflow", str(mlruns))
    assert result.exit_code == 1
    # mlflow reads the metric while listing the experiment's runs; its message names it.
    assert f"error: {mlruns.as_uri()}: Metric 'acc' is malformed" in result.output
    assert not any(r.id == ids["file"]["parent"] for r in api.runs(include_deleted=True))
