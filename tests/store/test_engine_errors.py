"""Database errors leave the store as tracklog's errors, each made by a real database condition:
a store that cannot serve now is one retryable error, a duplicate is AlreadyExistsError, a value
the database cannot hold is InvalidValueError, anything else a plain StoreError."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import insert, text

from tracklog.errors import (
    AlreadyExistsError,
    InvalidValueError,
    StoreError,
    StoreUnavailableError,
    retryable,
)
from tracklog.store import engine as engine_module
from tracklog.store import schema
from tracklog.store.engine import reading, writing
from tracklog.store.tracking import Store


def test_a_locked_sqlite_database_is_unavailable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Another program holds the write lock longer than this store's (short) busy timeout.
    monkeypatch.setattr(engine_module, "BUSY_TIMEOUT_MS", 50)
    store = Store(f"sqlite:///{tmp_path}/t.db")
    holder = sqlite3.connect(tmp_path / "t.db", isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        with pytest.raises(StoreUnavailableError, match="locked") as caught:
            store.create_run("p")
        assert retryable(caught.value)
        assert "INSERT" not in str(caught.value)  # the reason, not the statement
    finally:
        holder.rollback()
        holder.close()
    store.create_run("p")  # the lock is gone: the same write succeeds
    store.close()


@pytest.mark.postgres
def test_a_lost_postgresql_connection_is_unavailable(
    postgres_uri_factory: Callable[[], str],
) -> None:
    uri = postgres_uri_factory()
    store, killer = Store(uri), Store(uri)
    with pytest.raises(StoreUnavailableError) as caught, reading(store.engine) as conn:
        pid = conn.execute(text("SELECT pg_backend_pid()")).scalar()
        with reading(killer.engine) as other:
            other.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
        conn.execute(text("SELECT 1"))
    assert retryable(caught.value)
    assert not store.has_run("x")  # the pool replaced the lost connection
    store.close()
    killer.close()


@pytest.mark.postgres
def test_a_cancelled_postgresql_statement_is_unavailable(
    postgres_uri_factory: Callable[[], str],
) -> None:
    store = Store(postgres_uri_factory())
    with (
        pytest.raises(StoreUnavailableError, match="statement timeout"),
        reading(store.engine) as conn,
    ):
        conn.execute(text("SET LOCAL statement_timeout = 10"))
        conn.execute(text("SELECT pg_sleep(5)"))
    store.close()


def test_a_duplicate_is_already_exists(store_uri: str) -> None:
    store = Store(store_uri)
    row = {"name": "p", "artifact_location": "x", "created_at": 0, "updated_at": 0}
    with writing(store.engine) as conn:
        conn.execute(insert(schema.experiments).values(**row))
    with pytest.raises(AlreadyExistsError), writing(store.engine) as conn:
        conn.execute(insert(schema.experiments).values(**row))
    assert [p.name for p in store.projects("p")] == ["p"]
    store.close()


def test_a_value_the_database_cannot_hold_is_invalid(store_uri: str) -> None:
    store = Store(store_uri)
    row = {"name": "x" * 2000, "artifact_location": "x", "created_at": 0}
    with pytest.raises(InvalidValueError) as caught, writing(store.engine) as conn:
        if conn.dialect.name == "sqlite":  # SQLite's strings are unbounded unless limited
            conn.connection.dbapi_connection.setlimit(sqlite3.SQLITE_LIMIT_LENGTH, 1000)
        conn.execute(insert(schema.experiments).values(**row, updated_at=0))
    assert not retryable(caught.value) and "x" * 100 not in str(caught.value)
    store.close()


def test_other_database_errors_are_store_errors_a_retry_cannot_cure(store_uri: str) -> None:
    store = Store(store_uri)
    with pytest.raises(StoreError) as caught, reading(store.engine) as conn:
        conn.execute(text("SELECT * FROM no_such_table"))
    assert type(caught.value) is StoreError and not retryable(caught.value)
    assert "no_such_table" in str(caught.value)
    store.close()


def test_a_database_that_cannot_be_reached_is_unavailable() -> None:
    uri = "postgresql+psycopg://nobody@127.0.0.1:1/none?connect_timeout=5"
    with pytest.raises(StoreUnavailableError, match="cannot open store") as caught:
        Store(uri)
    assert retryable(caught.value)
