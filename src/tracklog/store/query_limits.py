"""Searches bounded in time and stoppable from another thread.

Every search query runs in :func:`searching`: on PostgreSQL with ``SET LOCAL
statement_timeout`` (the store's :func:`set_search_timeout`), on SQLite under a progress handler
with the same deadline; past it the search raises :class:`~tracklog.errors.SearchTimeoutError`.
A server also gives each request a :class:`Cancellation` (in :data:`CANCELLATION`) and trips it
when the client disconnects: the running query is stopped on the database (psycopg's cancel
request; SQLite's progress handler sees the flag) instead of keeping a backend busy for a client
that has left.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from sqlalchemy import Connection, Engine

from tracklog.errors import SearchTimeoutError, StoreError
from tracklog.store.db_errors import driver_error
from tracklog.store.engine import reading

_TIMEOUT_OPTION = "tracklog_search_timeout_ms"
_QUERY_CANCELED = "57014"  # PostgreSQL's SQLSTATE for a timed-out or cancelled statement
_PROGRESS_STEPS = 10_000  # SQLite virtual-machine steps between two looks at the clock


class Cancellation:
    """Whether the work of one request is to stop, and how to stop the query now running.

    :meth:`cancel` may be called from any thread; it holds the lock while it stops the query,
    so the connection cannot go back to the pool (and have someone else's query cancelled).
    """

    def __init__(self, on_search: Callable[[], object] | None = None) -> None:
        self._lock = threading.Lock()
        self._stop: Callable[[], object] | None = None
        self._on_search = on_search
        self.cancelled = False

    def searching(self) -> None:
        """Called as a search starts: the server then starts watching its client (only a
        request that searches pays for the watching)."""
        if self._on_search is not None:
            self._on_search()

    def cancel(self) -> None:
        """Stop the running query, and refuse any that would start after it."""
        with self._lock:
            self.cancelled = True
            if self._stop is not None:
                self._stop()

    @contextmanager
    def stoppable(self, stop: Callable[[], object]) -> Iterator[None]:
        """Within the block, :meth:`cancel` calls ``stop``."""
        with self._lock:
            if self.cancelled:
                raise _cancelled()
            self._stop = stop
        try:
            yield
        finally:
            with self._lock:
                self._stop = None


#: The cancellation of the request being served (None outside a server request).
CANCELLATION: ContextVar[Cancellation | None] = ContextVar("tracklog_cancellation", default=None)


def set_search_timeout(engine: Engine, milliseconds: int | None) -> None:
    """Bound every search on ``engine`` to ``milliseconds`` (None or 0: no bound)."""
    engine.update_execution_options(**{_TIMEOUT_OPTION: milliseconds or None})


@contextmanager
def searching(engine: Engine) -> Iterator[Connection]:
    """A read transaction for a search, bounded by the engine's search timeout and stopped
    when the current request's :class:`Cancellation` is tripped.

    Raises :class:`SearchTimeoutError` past the timeout, :class:`StoreError` when cancelled.
    """
    timeout_ms: int | None = engine.get_execution_options().get(_TIMEOUT_OPTION)
    cancellation = CANCELLATION.get()
    if cancellation is not None:
        cancellation.searching()
    with reading(engine) as conn:
        raw = conn.connection.dbapi_connection
        assert raw is not None
        sqlite = engine.dialect.name == "sqlite"
        stop = None
        if sqlite and (timeout_ms or cancellation):
            # SQLite asks the handler every few thousand steps whether to stop; it reads the
            # flag itself, so a cancel just before a statement starts is not lost.
            deadline = time.monotonic() + timeout_ms / 1000 if timeout_ms else float("inf")
            flag = cancellation or Cancellation()
            raw.set_progress_handler(
                lambda: flag.cancelled or time.monotonic() > deadline, _PROGRESS_STEPS
            )
        elif not sqlite:
            # A cancel request that reaches PostgreSQL between two statements is ignored; the
            # statement timeout still ends what follows.
            stop = getattr(raw, "cancel_safe", raw.cancel)
            if timeout_ms:
                conn.exec_driver_sql(f"SET LOCAL statement_timeout = {int(timeout_ms)}")
        guard = cancellation.stoppable(stop) if cancellation and stop else contextlib.nullcontext()
        try:
            with guard:
                yield conn
        except StoreError as exc:
            if not _stopped(exc):
                raise
            if cancellation is not None and cancellation.cancelled:
                raise _cancelled() from exc
            if not timeout_ms:
                raise
            raise SearchTimeoutError(
                f"the search ran longer than this server's limit of {timeout_ms / 1000:g} s "
                "(tracklog server --search-timeout) and was stopped; narrow the filter"
            ) from exc
        finally:
            if sqlite:
                raw.set_progress_handler(None, 0)


def _stopped(exc: StoreError) -> bool:
    """Whether ``exc`` says the database stopped the statement (timeout or cancel)."""
    orig = driver_error(exc)
    if getattr(orig, "sqlstate", None) == _QUERY_CANCELED:
        return True
    return orig is not None and str(orig) == "interrupted"  # SQLite: the progress handler


def _cancelled() -> StoreError:
    return StoreError("the search was stopped: its client disconnected")
