"""One set of runs, two faces: MLflow's runs through tracklog's Api and CLI, tracklog's runs
through the mlflow client; and MLflow runs survive the crash sweeper across a restart."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from server_process import ServerProcess
from tracklog.cli.main import cli
from tracklog.store.tracking import Store

NATIVE_SCRIPT = textwrap.dedent(
    """
    import tracklog

    config = {"lr": 0.1, "opt": {"b1": 0.9}}
    with tracklog.init(project="native", name="tl-run", config=config) as run:
        for step in range(5):
            run.log({"loss": 1.0 / (step + 1)})
        run.set_tags({"team": "nlp"})
    print(run.id)
    """
)


def test_mlflow_run_in_tracklog_cli(mlflow_uri: str) -> None:
    import mlflow

    mlflow.set_experiment("cli-view")
    with mlflow.start_run(run_name="seen-by-cli") as run:
        mlflow.log_params({"lr": "0.5"})
        mlflow.log_metric("acc", 0.75, step=2)
        mlflow.set_tag("team", "cv")
    result = CliRunner().invoke(
        cli,
        ["--uri", mlflow_uri, "runs", "ls", "-p", "cli-view", "--json"],
        catch_exceptions=False,
    )
    assert result.exit_code == 0, result.output
    (record,) = [json.loads(line) for line in result.output.splitlines()]
    assert record["id"] == run.info.run_id and record["name"] == "seen-by-cli"
    assert record["config"] == {"lr": "0.5"} and record["summary"] == {"acc": 0.75}
    assert record["tags"]["team"] == "cv" and record["status"] == "FINISHED"


def test_native_run_seen_by_mlflow(mlflow_uri: str, tmp_path: Path) -> None:
    from mlflow import MlflowClient

    env = {**os.environ, "TRACKLOG_URI": mlflow_uri, "TRACKLOG_MODE": "online"}
    done = subprocess.run(
        [sys.executable, "-c", NATIVE_SCRIPT],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    run_id = done.stdout.strip().splitlines()[-1]
    client = MlflowClient()
    exp = client.get_experiment_by_name("native")
    (run,) = client.search_runs([exp.experiment_id], "params.lr = '0.1'")
    assert run.info.run_id == run_id and run.info.run_name == "tl-run"
    assert run.info.status == "FINISHED"
    assert run.data.params == {"lr": "0.1", "opt.b1": "0.9"}
    assert run.data.metrics == {"loss": 0.2}
    assert run.data.tags["team"] == "nlp" and run.data.tags["mlflow.runName"] == "tl-run"
    history = client.get_metric_history(run_id, "loss")
    assert [m.step for m in history] == [0, 1, 2, 3, 4]


@pytest.fixture
def own_server(tmp_path: Path) -> Iterator[ServerProcess]:
    server = ServerProcess(f"sqlite:///{tmp_path / 'db.sqlite'}", tmp_path / "artifacts")
    yield server.start()
    server.stop()


def test_mlflow_runs_outlive_a_server_restart(own_server: ServerProcess) -> None:
    """An MLflow run has no owning process: the crash sweeper must not end it when the server
    process that created it is gone."""
    from mlflow import MlflowClient

    client = MlflowClient(own_server.url)
    run = client.create_run("0")
    client.log_metric(run.info.run_id, "x", 1.0)
    own_server.kill()
    store = Store(own_server.store_uri)
    try:
        assert run.info.run_id not in store.mark_crashed_runs()
        assert store.get_run(run.info.run_id).status == "RUNNING"
    finally:
        store.close()
    own_server.start()
    client.log_metric(run.info.run_id, "x", 2.0, step=1)
    client.set_terminated(run.info.run_id)
    got = client.get_run(run.info.run_id)
    assert (got.info.status, got.data.metrics) == ("FINISHED", {"x": 2.0})
