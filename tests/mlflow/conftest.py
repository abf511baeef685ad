"""A tracklog server (uvicorn on a loopback port, in a thread of this process) for the real
``mlflow`` client to log to."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from inprocess import SocketServer, socket_server


@pytest.fixture(autouse=True)
def _fail_fast(monkeypatch: pytest.MonkeyPatch) -> None:
    # The mlflow client retries 5xx answers with backoff for minutes: a server bug must fail
    # the test at once instead.
    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "0")
    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_TIMEOUT", "60")


@pytest.fixture(scope="module")
def tracklog_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SocketServer]:
    """One server (SQLite + local artifacts) per test module."""
    root: Path = tmp_path_factory.mktemp("mlflow-server")
    with socket_server(f"sqlite:///{root / 'tracklog.db'}", root / "artifacts") as server:
        yield server


@pytest.fixture
def mlflow_uri(tracklog_server: SocketServer, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """The server's URL, set as the mlflow client's tracking URI for one test."""
    import mlflow

    monkeypatch.setenv("MLFLOW_TRACKING_URI", tracklog_server.url)
    mlflow.set_tracking_uri(tracklog_server.url)
    yield tracklog_server.url
    while mlflow.active_run() is not None:
        mlflow.end_run()
