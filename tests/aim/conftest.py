"""Fixtures of the Aim face's tests: a store on SQLite or PostgreSQL that runs are sent to
with ``Run(repo=...)``, the working directory in the test's temp dir."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tracklog.sdk import current


@pytest.fixture
def repo(store_uri: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A store URI to pass as ``repo``; ``$TRACKLOG_URI`` points elsewhere, so a run that
    ignored ``repo`` would not be found in it. Runs left open are finished afterwards."""
    monkeypatch.setenv("TRACKLOG_ARTIFACTS", str(tmp_path / "artifacts"))
    monkeypatch.setenv("TRACKLOG_URI", str(tmp_path / "elsewhere"))
    monkeypatch.chdir(tmp_path)
    yield store_uri
    for run in list(current.runs):
        run.finish()
