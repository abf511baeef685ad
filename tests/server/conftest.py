"""Fixtures: a real ``tracklog server`` process for each test that asks for one."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from server_process import ServerProcess


@pytest.fixture
def server_factory(tmp_path: Path) -> Iterator[Callable[..., ServerProcess]]:
    """Start servers on a store URI; every one started is stopped after the test."""
    started: list[ServerProcess] = []

    def make(store_uri: str, **kwargs: object) -> ServerProcess:
        server = ServerProcess(store_uri, tmp_path / "artifacts", **kwargs)  # type: ignore[arg-type]
        started.append(server.start())
        return server

    yield make
    for server in started:
        server.stop()


@pytest.fixture
def server(store_uri: str, server_factory: Callable[..., ServerProcess]) -> ServerProcess:
    """A running server on a fresh SQLite or PostgreSQL store."""
    return server_factory(store_uri)


@pytest.fixture(
    scope="module",
    params=[
        pytest.param("sqlite", id="sqlite"),
        pytest.param("postgresql", id="postgresql", marks=pytest.mark.postgres),
    ],
)
def module_store(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> tuple[str, Path]:
    """A store shared by one test module's tests, on SQLite and on PostgreSQL: its URI and a
    folder for its artifacts (for a module-scoped server)."""
    folder = tmp_path_factory.mktemp("store")
    if request.param == "sqlite":
        return f"sqlite:///{folder}/tracklog.db", folder / "artifacts"
    return request.getfixturevalue("postgres_uri_factory")(), folder / "artifacts"
