"""Shared fixtures: every store test runs on SQLite and on a private PostgreSQL server.

``store_uri`` is parametrized ``[sqlite]`` / ``[postgresql]``; the PostgreSQL server is
started lazily (only if a selected test needs it) by ``postgres_server``; see
``tests/pg_server.py``. Run only the SQLite half with ``-m "not postgres"``.

Without PostgreSQL binaries the ``[postgresql]`` cases are skipped, unless the ``CI``
environment variable is set (and not 0/false/no): then they fail, because CI must test both.
"""

from __future__ import annotations

import os
import statistics
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from hypothesis import settings

from pg_server import PostgresServer, PostgresUnavailableError, find_bin_dir

if TYPE_CHECKING:
    from tracklog.store.tracking import Store

_SERVER_KEY = pytest.StashKey[PostgresServer]()

# Hypothesis fails an example that takes over 200 ms by default: on a loaded, shared machine
# that is noise, not a bug (our tests assert behaviour, never timings).
settings.register_profile("tracklog", deadline=None)
settings.load_profile("tracklog")


def _in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "postgres: needs the PostgreSQL test server (deselect with -m 'not postgres')"
    )


@pytest.hookimpl(tryfirst=True)  # before -m deselects by mark
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """A case on the PostgreSQL ``store_uri`` is a postgres test, also where a test passes the
    database itself (``parametrize("store_uri", ["postgresql"], indirect=True)``), which
    replaces the fixture's marked params."""
    for item in items:
        callspec = getattr(item, "callspec", None)
        if callspec is not None and callspec.params.get("store_uri") == "postgresql":
            item.add_marker(pytest.mark.postgres)


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    server = terminalreporter.config.stash.get(_SERVER_KEY, None)
    if server is None:
        return
    created = server.create_seconds
    median_ms = statistics.median(created) * 1000 if created else 0.0
    terminalreporter.write_line(
        f"postgres test server: {server.version}; started in {server.startup_seconds:.2f}s; "
        f"{len(created)} databases created (median {median_ms:.0f} ms each)"
    )


@pytest.fixture(scope="session")
def postgres_server(request: pytest.FixtureRequest) -> Iterator[PostgresServer]:
    """A PostgreSQL server private to this pytest session (stopped and deleted at the end)."""
    try:
        bin_dir = find_bin_dir()
    except PostgresUnavailableError as exc:
        missing = str(exc)
    else:
        missing = ""
    if missing:
        if _in_ci():
            pytest.fail(f"CI is set but {missing}", pytrace=False)
        pytest.skip(f"PostgreSQL not installed: {missing}")
    server = PostgresServer(bin_dir)
    server.start()
    request.config.stash[_SERVER_KEY] = server
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def postgres_uri_factory(postgres_server: PostgresServer) -> Iterator[Callable[[], str]]:
    """A callable returning the URI of a new, empty database (all dropped at session end)."""
    created: list[str] = []

    def make() -> str:
        name = postgres_server.create_database()
        created.append(name)
        return postgres_server.sqlalchemy_uri(name)

    yield make
    for name in created:
        postgres_server.drop_database(name)


@pytest.fixture(
    params=[
        pytest.param("sqlite", id="sqlite"),
        pytest.param("postgresql", id="postgresql", marks=pytest.mark.postgres),
    ]
)
def store_uri(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """SQLAlchemy URI of a fresh, empty database: a SQLite file or a new PostgreSQL DB."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path}/tracklog.db"
        return
    server: PostgresServer = request.getfixturevalue("postgres_server")
    name = server.create_database()
    yield server.sqlalchemy_uri(name)
    server.drop_database(name)


@pytest.fixture
def child_env(tmp_path: Path) -> dict[str, str]:
    """Environment for child processes: artifacts in this test's temp dir."""
    return {**os.environ, "TRACKLOG_ARTIFACTS": str(tmp_path / "artifacts")}


@pytest.fixture
def store(store_uri: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Store]:
    """A fresh store on SQLite or PostgreSQL, artifacts in this test's temp dir."""
    from tracklog.store.tracking import Store

    monkeypatch.setenv("TRACKLOG_ARTIFACTS", str(tmp_path / "artifacts"))
    s = Store(store_uri)
    yield s
    s.close()


@pytest.fixture
def local_store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A store folder for the SDK (``$TRACKLOG_URI``), with the working directory in tmp_path.

    Runs a test leaves open are finished afterwards so the next test starts clean.
    """
    from tracklog.sdk import current

    folder = tmp_path / "store"
    monkeypatch.setenv("TRACKLOG_URI", str(folder))
    monkeypatch.delenv("TRACKLOG_ARTIFACTS", raising=False)
    monkeypatch.chdir(tmp_path)
    yield str(folder)
    for run in list(current.runs):
        run.finish()


@pytest.fixture(autouse=True)
def _no_run_capture(monkeypatch: pytest.MonkeyPatch) -> None:
    """Run-context capture (git, packages, console tee, system sampler) is off unless a test
    turns it on: most tests are about something else, and it would slow every init()."""
    monkeypatch.setenv("TRACKLOG_CAPTURE", "0")
