"""The headline: an ordinary W&B script runs with only its import line changed, on a local
store and against a server, and its run reads back like a native one."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

import tracklog
from inprocess import SocketServer
from tracklog.server.settings import Settings

SCRIPT = Path(__file__).with_name("wandb_script.py")


def _run_script(folder: Path, env: dict[str, str]) -> list[str]:
    text = SCRIPT.read_text()
    assert text.count("import wandb\n") == 1
    (folder / "train.py").write_text(text.replace("import wandb\n", "import tracklog as wandb\n"))
    src = str(Path(tracklog.__file__).parents[1])
    env = {**os.environ, **env, "PYTHONPATH": src, "TRACKLOG_CAPTURE": "0"}
    env.pop("TRACKLOG_TOKEN", None)
    done = subprocess.run(
        [sys.executable, "train.py"], cwd=folder, env=env, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    assert "ignores these arguments: magic" in done.stderr
    return done.stdout.split()


def _check(api: tracklog.Api, run_id: str) -> None:
    r = api.run(run_id)
    assert r.status == "FINISHED" and r.name == "baseline-final" and r.project == "mnist"
    assert r.group == "sweep-1" and r.job_type == "train" and r.notes == "first try"
    assert r.labels == ["baseline", "cnn"]
    assert r.config == {
        "lr": 0.01,
        "epochs": 3,
        "batch_size": 64,
        "optimizer": "adam",
        "seed": 7,
        "dropout": 0.1,
    }
    assert r.summary["val/loss"] == 0.25  # best with goal minimize: the lowest
    assert r.summary["val/acc"] == pytest.approx(0.9)
    assert r.summary["test_acc"] == 0.91 and r.summary["params"] == 1234
    assert r.series("train/loss").steps.tolist()[:3] == [0, 1, 2]
    assert len(r.series("train/loss").steps) == 30
    assert [h.step for h in r.histograms("weights")] == [10, 21, 32]
    assert r.files() == ["model.txt", "notes.txt"]
    assert [(a.title, a.text) for a in r.alerts()] == [
        ("low loss", "val/loss 0.25"),
        ("done", "training finished"),
    ]


def test_a_wandb_script_on_a_local_store(tmp_path: Path) -> None:
    store = tmp_path / "store"
    run_id, project, entity, name = _run_script(tmp_path, {"TRACKLOG_URI": str(store)})
    assert (project, entity, name) == ("mnist", "my-team", "baseline-final")
    _check(tracklog.Api(str(store)), run_id)


def test_a_wandb_script_against_a_server(tmp_path: Path) -> None:
    settings = Settings(
        backend_store_uri=f"sqlite:///{tmp_path}/server.db",
        artifacts_destination=str(tmp_path / "artifacts"),
    )
    server = SocketServer(settings)
    try:
        run_id, *_ = _run_script(tmp_path, {"TRACKLOG_URI": server.url})
        api = tracklog.Api(server.url)
        _check(api, run_id)
    finally:
        server.close()
