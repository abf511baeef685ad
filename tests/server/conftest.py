"""Fixtures: the server's app in this process (``server``, ``app_factory``), or a real
``tracklog server`` process (``real_server``, ``server_factory``) for a test that needs one:
to kill or restart it, run several workers, or serve another process."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import ExitStack
from pathlib import Path

import pytest

from inprocess import InProcessServer, in_process_server
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
def real_server(store_uri: str, server_factory: Callable[..., ServerProcess]) -> ServerProcess:
    """A running server process on a fresh SQLite or PostgreSQL store."""
    return server_factory(store_uri)


@pytest.fixture
def app_factory(tmp_path: Path) -> Iterator[Callable[..., InProcessServer]]:
    """Start the app in this process on a store URI, with ``Settings`` fields as keywords
    (``max_body_bytes=2048``); each is stopped after the test."""
    with ExitStack() as stack:

        def make(store_uri: str, **settings: object) -> InProcessServer:
            artifacts = tmp_path / "artifacts"
            return stack.enter_context(in_process_server(store_uri, artifacts, **settings))

        yield make


@pytest.fixture
def server(store_uri: str, app_factory: Callable[..., InProcessServer]) -> InProcessServer:
    """The app, in this process, on a fresh SQLite or PostgreSQL store."""
    return app_factory(store_uri)


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
