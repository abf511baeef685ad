"""Fixtures of the W&B face's tests: a server in this process and an SDK session against it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from inprocess import InProcessServer, in_process_server


@pytest.fixture
def server(tmp_path: Path) -> Iterator[InProcessServer]:
    """The app, in this process, on a fresh SQLite store."""
    with in_process_server(f"sqlite:///{tmp_path}/server.db", tmp_path / "artifacts") as s:
        yield s


@pytest.fixture
def remote(
    server: InProcessServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[str]:
    """SDK runs log to ``server`` (journals under tmp_path, the working folder); open runs are
    finished and server clients closed afterwards. Yields the server's URL."""
    from tracklog.sdk import current, stores

    for name in ("TRACKLOG_MODE", "TRACKLOG_ARTIFACTS", "TRACKLOG_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("TRACKLOG_URI", server.url)
    monkeypatch.setattr(stores, "_tracking_uri", None)
    monkeypatch.chdir(tmp_path)
    yield server.url
    for run in list(current.runs):
        run.finish()
    for client in stores.servers.values():
        client.close()
    stores.servers.clear()
