"""Fixtures of the importer tests: MLflow and W&B data written once per session by the real
mlflow and wandb packages in subprocesses, and ``tracklog`` run in-process on a fresh store."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from importer_helpers import Import

import tracklog
from tracklog.cli.main import cli

HERE = Path(__file__).parent


def _write(script: str, out: Path, env: dict[str, str]) -> None:
    done = subprocess.run(
        [sys.executable, str(HERE / script), str(out)],
        cwd=out,  # outside any git repository: mlflow records no branch of its own
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-3000:]


@pytest.fixture(scope="session")
def mlflow_data(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, dict[str, str]]]:
    """A folder with ``mlruns/`` and ``mlflow.db`` holding the same runs, and their ids."""
    out = tmp_path_factory.mktemp("mlflow")
    _write("write_mlflow.py", out, {"MLFLOW_ALLOW_FILE_STORE": "true"})
    return out, json.loads((out / "ids.json").read_text())


@pytest.fixture(scope="session")
def wandb_data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder whose ``wandb/`` holds two offline runs; ``<run id>.json`` says what each
    logged."""
    out = tmp_path_factory.mktemp("wandb")
    env = {"WANDB_MODE": "offline", "WANDB_DIR": str(out), "WANDB_SILENT": "true"}
    _write("write_wandb.py", out, env)
    return out


@pytest.fixture
def wandb_copy(wandb_data: Path, tmp_path: Path) -> Path:
    """A private copy of the W&B data, for tests that damage it."""
    return Path(shutil.copytree(wandb_data, tmp_path / "wandb-data", symlinks=True))


@pytest.fixture
def store_at(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """A fresh SQLite store URI, artifacts in this test's temp dir."""
    monkeypatch.setenv("TRACKLOG_ARTIFACTS", str(tmp_path / "artifacts"))
    return f"sqlite:///{tmp_path}/tracklog.db"


@pytest.fixture
def run_import(store_at: str) -> Import:
    """Run ``tracklog --uri STORE import ARGS...`` in-process; returns click's Result."""

    def run(*args: str) -> Result:
        return CliRunner().invoke(cli, ["--uri", store_at, "import", *args])

    return run


@pytest.fixture
def api(store_at: str) -> tracklog.Api:
    """The test store's read API."""
    return tracklog.Api(store_at)
