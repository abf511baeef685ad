"""Database errors as tracklog's errors: the one place that reads SQLite's and PostgreSQL's codes.

Every engine the store opens runs :func:`translate` on each failed statement, connect and
commit (SQLAlchemy's ``handle_error`` hook), so no SQLAlchemy exception leaves ``store/``:

- the database cannot serve now (unreachable, locked, busy, full, failing, the statement
  cancelled by an operator or a timeout, a deadlock) → :class:`StoreUnavailableError`, which
  :func:`tracklog.errors.retryable` says to retry and the server answers with a 503;
- a duplicate key → :class:`AlreadyExistsError`; a value the database cannot hold (too long,
  out of range, breaking a constraint) → :class:`InvalidValueError`;
- anything else (a bug) → a plain :class:`StoreError`, which nobody retries.

The message is the driver's reason, never the SQL statement or its parameters; the driver's
exception stays attached as ``__cause__``.
"""

from __future__ import annotations

import sqlite3
from typing import Any

from sqlalchemy.engine.interfaces import ExceptionContext
from sqlalchemy.exc import DataError, DBAPIError, IntegrityError, InterfaceError, OperationalError

from tracklog.errors import (
    AlreadyExistsError,
    InvalidValueError,
    StoreError,
    StoreUnavailableError,
    TracklogError,
)

# By SQLite's primary result code: busy, locked, out of memory, read-only, I/O error, full,
# cannot open, locking protocol. By PostgreSQL's SQLSTATE class: transaction rollback
# (serialization failure, deadlock), connection, insufficient resources (a full disk),
# operator intervention (a cancelled statement, a shutdown), system error.
_SQLITE_UNAVAILABLE = frozenset({5, 6, 7, 8, 10, 13, 14, 15})
_PG_UNAVAILABLE = ("08", "40", "53", "57", "58")
# A request asking more than the database takes: SQLite's "string or blob too big",
# PostgreSQL's class 54 (program limit exceeded: a statement too complex).
_SQLITE_TOO_BIG = frozenset({18})
_PG_TOO_BIG = ("54",)
# Duplicate keys: SQLite's extended codes for UNIQUE and PRIMARY KEY, PostgreSQL's
# unique_violation.
_SQLITE_DUPLICATE = frozenset({1555, 2067})
_PG_DUPLICATE = ("23505",)
# SQLite's messages for the codes above (sqlite3_errstr), where the driver gives no code.
_SQLITE_MESSAGES = {
    "database is locked": 5,
    "database table is locked": 6,
    "out of memory": 7,
    "attempt to write a readonly database": 8,
    "disk I/O error": 10,
    "database or disk is full": 13,
    "unable to open database file": 14,
    "locking protocol": 15,
    "string or blob too big": 18,
}


def translate(context: ExceptionContext) -> TracklogError | None:
    """SQLAlchemy's ``handle_error`` hook: the tracklog error to raise in place of the driver's
    (None: leave an error that is not the driver's, or one met by the pool's pre-ping, which
    SQLAlchemy handles itself)."""
    exc = context.sqlalchemy_exception
    if context.is_pre_ping or not isinstance(exc, DBAPIError):
        return None
    # Without a connection the error is the connect's own: the server is away (PostgreSQL's
    # driver gives such errors no SQLSTATE).
    unreachable = context.connection is None and isinstance(exc, OperationalError)
    return tracklog_error(exc, disconnected=context.is_disconnect or unreachable)


def tracklog_error(exc: DBAPIError, disconnected: bool = False) -> TracklogError:
    """The tracklog error that says what ``exc`` means (see the module's docstring)."""
    reason = _reason(exc)
    orig = exc.orig
    if disconnected or exc.connection_invalidated or isinstance(exc, InterfaceError):
        return StoreUnavailableError(f"the store cannot be used right now: {reason}")
    if _coded(orig, _SQLITE_UNAVAILABLE, _PG_UNAVAILABLE, primary=True):
        return StoreUnavailableError(f"the store cannot be used right now: {reason}")
    if _coded(orig, _SQLITE_TOO_BIG, _PG_TOO_BIG, primary=True):
        return InvalidValueError(f"the request is more than the store can take: {reason}")
    if isinstance(exc, IntegrityError):
        if _coded(orig, _SQLITE_DUPLICATE, _PG_DUPLICATE, primary=False):
            return AlreadyExistsError(f"it exists already: {reason}")
        return InvalidValueError(f"the store refused a value: {reason}")
    if isinstance(exc, DataError):
        return InvalidValueError(f"the store cannot hold a value: {reason}")
    return StoreError(f"database error: {reason}")


def driver_error(exc: BaseException) -> Any:
    """The database driver's own exception behind a translated error (None if there is none)."""
    cause = exc.__cause__
    return cause if isinstance(cause, sqlite3.Error) or hasattr(cause, "sqlstate") else None


def _coded(orig: Any, sqlite_codes: frozenset[int], pg: tuple[str, ...], primary: bool) -> bool:
    """Whether the driver's error ``orig`` has one of these SQLite result codes (compared by
    their primary byte when ``primary``) or a SQLSTATE starting with one of ``pg``."""
    if isinstance(orig, sqlite3.Error):
        code = getattr(orig, "sqlite_errorcode", None)
        if code is None:  # raised by the driver itself rather than by SQLite: its text
            code = _SQLITE_MESSAGES.get(str(orig).split(" (", 1)[0])
        return code is not None and (code & 0xFF if primary else code) in sqlite_codes
    state = getattr(orig, "sqlstate", None)
    return isinstance(state, str) and state.startswith(pg)


def _reason(exc: DBAPIError) -> str:
    """What went wrong, without the SQL statement or its parameters."""
    lines = str(exc.orig).strip().splitlines() if exc.orig is not None else []
    return lines[0] if lines else type(exc).__name__
