"""Fixtures of the CLI tests: a SQLite store in ``tmp_path``, runs logged with the real SDK,
and ``invoke`` running a ``tracklog`` command in-process."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import pytest
from cli_helpers import Invoke, MakeRun
from click.testing import CliRunner, Result

import tracklog
from tracklog.cli.main import cli
from tracklog.sdk import current, stores


@pytest.fixture
def cli_uri(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """``$TRACKLOG_URI`` pointing at a fresh SQLite store; the working directory is tmp_path.

    Runs a test leaves open are finished afterwards so the next test starts clean.
    """
    uri = f"sqlite:///{tmp_path}/tracklog.db"
    monkeypatch.setenv("TRACKLOG_URI", uri)
    monkeypatch.setattr(stores, "_tracking_uri", None)  # whatever an earlier test set
    for name in ("TRACKLOG_ARTIFACTS", "TRACKLOG_MODE", "TRACKLOG_PROJECT"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)
    # Plain, unwrapped output whatever the terminal the tests run in says.
    for name in ("FORCE_COLOR", "TTY_COMPATIBLE", "TTY_INTERACTIVE", "COLUMNS"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("NO_COLOR", "1")
    yield uri
    for run in list(current.runs):
        run.finish()


@pytest.fixture
def invoke(cli_uri: str) -> Invoke:
    """Run ``tracklog ARGS...`` in-process against the test store; returns click's Result."""

    def run(*args: str) -> Result:
        return CliRunner().invoke(cli, list(args), catch_exceptions=False)

    return run


@pytest.fixture
def make_run(cli_uri: str, tmp_path: Path) -> MakeRun:
    """Log a finished run with the SDK; ``metrics`` maps a key to its values at steps 0, 1..."""

    def make(
        project: str = "proj",
        name: str | None = None,
        config: Mapping[str, Any] | None = None,
        metrics: Mapping[str, Sequence[float]] | None = None,
        labels: Sequence[str] = (),
        run_id: str | None = None,
        mode: str = "online",
    ) -> str:
        with tracklog.init(
            project=project,
            name=name,
            id=run_id,
            config=config,
            tags=labels,
            mode=mode,
            dir=tmp_path,
        ) as run:
            for key, values in (metrics or {}).items():
                for step, value in enumerate(values):
                    run.log({key: value}, step=step)
        return run.id

    return make
