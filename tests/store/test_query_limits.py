"""Searches are bounded in time and stop when cancelled from another thread, on both
databases: a query that would never end is used, so nothing here depends on speed."""

from __future__ import annotations

import contextvars
import threading
import time

import pytest
from sqlalchemy import text

from tracklog.errors import SearchTimeoutError, StoreError
from tracklog.store.query_limits import (
    CANCELLATION,
    Cancellation,
    searching,
    set_search_timeout,
)
from tracklog.store.tracking import Store

# Counts without end: only a timeout or a cancel stops it.
ENDLESS = "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT count(*) FROM c"
BOUND_S = 120  # generous bound for a stopped query to give its thread back


def test_search_past_the_timeout_is_stopped_with_a_clear_error(store: Store) -> None:
    set_search_timeout(store.engine, 200)
    match = r"limit of 0\.2 s .*--search-timeout"
    with pytest.raises(SearchTimeoutError, match=match), searching(store.engine) as conn:
        conn.execute(text(ENDLESS))
    # The connection goes back to the pool without the bound; a search still works.
    set_search_timeout(store.engine, None)
    store.create_run(project="p")
    assert len(store.search_run_ids(["p"], "attributes.status = 'RUNNING'")) == 1
    with store.engine.connect() as conn:
        assert conn.execute(text("SELECT 1")).scalar() == 1


def test_store_searches_run_under_the_timeout(store_uri: str, store: Store) -> None:
    bounded = Store(store_uri, search_timeout_ms=30_000)
    try:
        bounded.create_run(project="p")
        assert len(bounded.search_runs(["p"])) == 1
        if bounded.engine.dialect.name == "postgresql":
            with searching(bounded.engine) as conn:
                assert conn.execute(text("SHOW statement_timeout")).scalar() == "30s"
            with bounded.engine.connect() as conn:  # SET LOCAL: gone with the transaction
                assert conn.execute(text("SHOW statement_timeout")).scalar() == "0"
    finally:
        bounded.close()


def test_cancel_stops_a_running_search(store: Store) -> None:
    cancellation = Cancellation()
    outcome: list[BaseException] = []
    started = threading.Event()

    def search() -> None:
        CANCELLATION.set(cancellation)
        try:
            with searching(store.engine) as conn:
                started.set()
                conn.execute(text(ENDLESS))
        except BaseException as exc:
            outcome.append(exc)

    worker = threading.Thread(target=search, daemon=True)
    worker.start()
    assert started.wait(BOUND_S)
    if store.engine.dialect.name == "postgresql":
        _wait_until_running(store)
    cancellation.cancel()
    worker.join(BOUND_S)
    assert not worker.is_alive(), "the cancelled query kept running"
    assert len(outcome) == 1 and isinstance(outcome[0], StoreError)
    assert "client disconnected" in str(outcome[0])


def test_a_search_after_cancel_does_not_start(store: Store) -> None:
    cancellation = Cancellation()
    cancellation.cancel()
    context = contextvars.copy_context()
    context.run(CANCELLATION.set, cancellation)
    with pytest.raises(StoreError, match="client disconnected"):
        context.run(_endless_search, store)


def _endless_search(store: Store) -> None:
    with searching(store.engine) as conn:
        conn.execute(text(ENDLESS))


def _wait_until_running(store: Store) -> None:
    """Until PostgreSQL runs the endless query (a cancel before it starts is not the test)."""
    probe = text(
        "SELECT count(*) FROM pg_stat_activity WHERE state = 'active' AND query LIKE 'WITH%'"
    )
    deadline = time.monotonic() + BOUND_S
    with store.engine.connect() as conn:
        while conn.execute(probe).scalar() == 0:
            assert time.monotonic() < deadline, "the query never started"
            time.sleep(0.05)
            conn.rollback()
