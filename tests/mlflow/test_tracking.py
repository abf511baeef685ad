"""The unmodified mlflow client logs a training script to a tracklog server and reads it back."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

import tracklog


def test_fluent_script_round_trips(mlflow_uri: str, tmp_path: Path) -> None:
    import mlflow
    from mlflow import MlflowClient

    (tmp_path / "model.txt").write_text("weights")
    (tmp_path / "ckpt").mkdir()
    (tmp_path / "ckpt" / "a.bin").write_bytes(bytes(range(256)))
    mlflow.set_experiment("fluent")
    with mlflow.start_run(run_name="baseline", description="first try") as run:
        mlflow.log_param("lr", 0.01)
        mlflow.log_params({"optimizer": "adam", "layers": 3})
        for step in range(10):
            mlflow.log_metrics({"loss": 1 / (step + 1), "acc": step / 10}, step=step)
        mlflow.log_metric("odd", math.nan, step=0)
        mlflow.log_metric("big", math.inf, step=0)
        mlflow.log_metric("small", -math.inf, step=0)
        mlflow.set_tag("team", "nlp")
        mlflow.set_tags({"stage": "dev", "owner": "ana"})
        mlflow.log_artifact(str(tmp_path / "model.txt"))
        mlflow.log_artifacts(str(tmp_path / "ckpt"), artifact_path="ckpt")
        mlflow.log_dict({"k": [1, 2]}, "config/settings.json")
        mlflow.log_text("hello", "notes.txt")
    client = MlflowClient()
    got = client.get_run(run.info.run_id)
    assert got.info.status == "FINISHED" and got.info.run_name == "baseline"
    assert got.info.end_time is not None and got.info.end_time >= got.info.start_time
    assert got.info.artifact_uri == (
        f"mlflow-artifacts:/{got.info.experiment_id}/{run.info.run_id}/artifacts"
    )
    assert got.data.params == {"lr": "0.01", "optimizer": "adam", "layers": "3"}
    metrics = got.data.metrics
    assert (metrics["loss"], metrics["acc"], metrics["big"], metrics["small"]) == (
        0.1,
        0.9,
        math.inf,
        -math.inf,
    )
    assert math.isnan(metrics["odd"])
    assert got.data.tags["team"] == "nlp" and got.data.tags["owner"] == "ana"
    assert got.data.tags["mlflow.runName"] == "baseline"
    assert got.data.tags["mlflow.note.content"] == "first try"
    history = client.get_metric_history(run.info.run_id, "loss")
    assert [(m.step, m.value) for m in history] == [(i, 1 / (i + 1)) for i in range(10)]
    top = {(f.path, f.is_dir) for f in client.list_artifacts(run.info.run_id)}
    assert top == {
        ("model.txt", False),
        ("ckpt", True),
        ("config", True),
        ("notes.txt", False),
    }
    inner = mlflow.artifacts.list_artifacts(artifact_uri=f"{got.info.artifact_uri}/ckpt")
    assert [(f.path, f.file_size) for f in inner] == [("ckpt/a.bin", 256)]
    local = Path(client.download_artifacts(run.info.run_id, "ckpt", str(tmp_path / "dl")))
    assert (local / "a.bin").read_bytes() == bytes(range(256))
    assert mlflow.artifacts.load_dict(f"{got.info.artifact_uri}/config/settings.json") == {
        "k": [1, 2]
    }

    # The same run through tracklog's own API: params are config, metrics are series.
    r = tracklog.Api(mlflow_uri).run(run.info.run_id)
    assert (r.project, r.name, r.status, r.notes) == ("fluent", "baseline", "FINISHED", "first try")
    assert r.config == {"lr": "0.01", "optimizer": "adam", "layers": "3"}
    assert r.tags["team"] == "nlp"
    assert list(r.series("acc").values) == [i / 10 for i in range(10)]
    assert sorted(r.files()) == [
        "ckpt/a.bin",
        "config/settings.json",
        "model.txt",
        "notes.txt",
    ]


def test_nested_runs_keep_their_parent(mlflow_uri: str) -> None:
    import mlflow

    mlflow.set_experiment("nested")
    with mlflow.start_run(run_name="parent") as parent:
        for fold in range(3):
            with mlflow.start_run(run_name=f"fold-{fold}", nested=True):
                mlflow.log_metric("score", fold)
    children = mlflow.search_runs(
        filter_string=f"tags.mlflow.parentRunId = '{parent.info.run_id}'",
        order_by=["attributes.run_name"],
    )
    assert list(children["tags.mlflow.runName"]) == ["fold-0", "fold-1", "fold-2"]
    assert list(children["metrics.score"]) == [0.0, 1.0, 2.0]
    assert set(children["status"]) == {"FINISHED"}


def test_metric_history_pages_and_bulk_interval(mlflow_uri: str) -> None:
    import httpx
    from mlflow import MlflowClient
    from mlflow.entities import Metric

    client = MlflowClient()
    exp = client.create_experiment("history")
    run = client.create_run(exp)
    rows = [Metric("x", float(i % 17), 1_000 + i, i) for i in range(2500)]
    for start in range(0, len(rows), 1000):
        client.log_batch(run.info.run_id, metrics=rows[start : start + 1000])
    page = client._tracking_client.store.get_metric_history(run.info.run_id, "x", max_results=1000)
    assert len(page) == 1000 and page.token
    rest = client._tracking_client.store.get_metric_history(
        run.info.run_id, "x", max_results=2000, page_token=page.token
    )
    assert [m.step for m in rest] == list(range(1000, 2500)) and not rest.token
    assert len(client.get_metric_history(run.info.run_id, "x")) == 2500

    answer = httpx.get(
        f"{mlflow_uri}/api/2.0/mlflow/metrics/get-history-bulk-interval",
        params={
            "run_ids": [run.info.run_id],
            "metric_key": "x",
            "start_step": 100,
            "end_step": 1099,
            "max_results": 50,
        },
    ).json()["metrics"]
    steps = [m["step"] for m in answer]
    assert len(steps) <= 50 and steps[0] == 100 and steps[-1] == 1099
    assert {m["value"] for m in answer} >= {0.0, 16.0}  # the extremes survive downsampling
    assert {m["run_id"] for m in answer} == {run.info.run_id}


def test_experiments_and_runs_lifecycle(mlflow_uri: str) -> None:
    from mlflow import MlflowClient
    from mlflow.entities import ViewType

    client = MlflowClient()
    assert client.get_experiment("0").name == "Default"
    exp = client.create_experiment("life", tags={"team": "cv"})
    got = client.get_experiment(exp)
    assert got.artifact_location == f"mlflow-artifacts:/{exp}" and got.tags == {"team": "cv"}
    client.set_experiment_tag(exp, "phase", "1")
    client.delete_experiment_tag(exp, "team")
    assert client.get_experiment(exp).tags == {"phase": "1"}
    client.rename_experiment(exp, "life-renamed")
    assert client.get_experiment_by_name("life-renamed").experiment_id == exp
    found = client.search_experiments(filter_string="name LIKE 'life%' AND tags.phase = '1'")
    assert [e.name for e in found] == ["life-renamed"]

    run = client.create_run(exp)
    client.delete_run(run.info.run_id)
    assert client.get_run(run.info.run_id).info.lifecycle_stage == "deleted"
    assert client.search_runs([exp]) == []
    assert len(client.search_runs([exp], run_view_type=ViewType.DELETED_ONLY)) == 1
    client.restore_run(run.info.run_id)
    assert [r.info.run_id for r in client.search_runs([exp])] == [run.info.run_id]

    client.delete_experiment(exp)
    assert client.get_experiment(exp).lifecycle_stage == "deleted"
    assert client.get_run(run.info.run_id).info.lifecycle_stage == "deleted"
    client.restore_experiment(exp)
    assert client.get_run(run.info.run_id).info.lifecycle_stage == "active"
    client.set_terminated(run.info.run_id, "KILLED")
    assert client.get_run(run.info.run_id).info.status == "KILLED"


def test_every_write_into_an_experiment_needs_it_active(mlflow_uri: str) -> None:
    """One rule, one message: a run, a tag or a logged model in an experiment in the trash
    (or one that does not exist) is refused alike."""
    from mlflow import MlflowClient
    from mlflow.exceptions import MlflowException

    client = MlflowClient()
    exp = client.create_experiment("trashed-writes")
    client.delete_experiment(exp)
    writes = {
        "run": lambda e: client.create_run(e),
        "tag": lambda e: client.set_experiment_tag(e, "k", "v"),
        "untag": lambda e: client.delete_experiment_tag(e, "k"),
        "logged model": lambda e: client.create_logged_model(e, name="m"),
    }
    for what, write in writes.items():
        for target, code, message in (
            (
                exp,
                "INVALID_PARAMETER_VALUE",
                f"The experiment {exp} must be in the 'active' state.",
            ),
            ("4242", "RESOURCE_DOES_NOT_EXIST", "No Experiment with id=4242 exists"),
        ):
            with pytest.raises(MlflowException) as refused:
                write(target)
            assert refused.value.message == f"{code}: {message}", what  # code: message


def test_dataset_inputs_are_kept(mlflow_uri: str) -> None:
    import mlflow
    import pandas as pd

    frame = pd.DataFrame({"x": [1, 2, 3], "y": [0, 1, 0]})
    dataset = mlflow.data.from_pandas(frame, source="s3://bucket/train.csv", name="train")
    mlflow.set_experiment("inputs")
    with mlflow.start_run() as run:
        mlflow.log_input(dataset, context="training")
        mlflow.log_input(dataset, context="training")  # logged once
    got = mlflow.get_run(run.info.run_id).inputs.dataset_inputs
    assert len(got) == 1
    assert (got[0].dataset.name, got[0].dataset.digest) == ("train", dataset.digest)
    assert json.loads(got[0].dataset.source)["uri"] == "s3://bucket/train.csv"
    assert {t.key: t.value for t in got[0].tags} == {"mlflow.data.context": "training"}


@pytest.mark.parametrize("value", [math.nan, math.inf, -math.inf, -0.0, 1e308, 5e-324])
def test_odd_values_round_trip(mlflow_uri: str, value: float) -> None:
    from mlflow import MlflowClient

    client = MlflowClient()
    run = client.create_run("0")
    client.log_metric(run.info.run_id, "v", value, step=3)
    (point,) = client.get_metric_history(run.info.run_id, "v")
    assert point.step == 3
    assert (math.isnan(point.value) and math.isnan(value)) or point.value == value


def test_run_metrics_are_the_points_at_the_highest_step(mlflow_uri: str) -> None:
    import mlflow

    client = mlflow.MlflowClient()
    run_id = client.create_run("0").info.run_id
    client.log_metric(run_id, "late", 1.0, step=5)
    client.log_metric(run_id, "late", 2.0, step=2)  # arrives last, at a lower step
    client.log_metric(run_id, "same", 3.0, step=1)
    client.log_metric(run_id, "same", 4.0, step=1)  # the last to arrive at the highest step
    other = client.create_run("0").info.run_id
    found = {r.info.run_id: r.data.metrics for r in client.search_runs(["0"])}
    assert found[run_id] == {"late": 1.0, "same": 4.0}
    assert found[other] == {}
    assert client.get_run(run_id).data.metrics == {"late": 1.0, "same": 4.0}
