"""Fixtures of the TensorBoard tests: ``tracklog`` run in-process on a fresh SQLite store."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

import tracklog
from tracklog.cli.main import cli


@pytest.fixture
def store_at(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """A fresh SQLite store URI, artifacts in this test's temp dir."""
    monkeypatch.setenv("TRACKLOG_ARTIFACTS", str(tmp_path / "artifacts"))
    return f"sqlite:///{tmp_path}/tracklog.db"


@pytest.fixture
def tb_import(store_at: str) -> Callable[..., Result]:
    """Run ``tracklog --uri STORE import tensorboard ARGS...`` in-process."""

    def run(*args: str) -> Result:
        return CliRunner().invoke(cli, ["--uri", store_at, "import", "tensorboard", *args])

    return run


@pytest.fixture
def api(store_at: str) -> tracklog.Api:
    """The test store's read API."""
    return tracklog.Api(store_at)
