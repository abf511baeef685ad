"""SQLAlchemy engines for SQLite and PostgreSQL with tracklog's connection settings.

SQLite runs in WAL mode with a busy timeout so that several processes can log into one file at
once. Write transactions use ``BEGIN IMMEDIATE``: a deferred transaction that reads and then
writes can fail with "database is locked" without waiting, an immediate one waits its turn.
tracklog's own writers queue for the file at a lock of their own first (:class:`WriteLock`), so
they rarely meet SQLite's lock busy.

Every engine turns database errors into tracklog's (:mod:`tracklog.store.db_errors`).
"""

from __future__ import annotations

import contextlib
import functools
import os
import threading
import weakref
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Connection, Engine, Table, create_engine, event
from sqlalchemy.exc import SQLAlchemyError

from tracklog.errors import StoreError, StoreUnavailableError
from tracklog.store import file_lock
from tracklog.store.db_errors import translate
from tracklog.store.location import StoreLocation

BUSY_TIMEOUT_MS = 60_000
CHECKPOINT_BYTES = 1 << 16  # below this, SQLite's automatic checkpoints are enough
_WRITE = "tracklog_write"
# SQL function of every SQLite store connection: Unicode lower case (SQLite's lower() and LIKE
# know ASCII letters only), so that ILIKE ignores case as on PostgreSQL.
UNICODE_LOWER = "tracklog_lower"
LOCK_SUFFIX = "-writelock"  # beside the database, as SQLite's own -wal and -shm files
_LOCKS: weakref.WeakKeyDictionary[Engine, WriteLock] = weakref.WeakKeyDictionary()
_LOCKS_GUARD = threading.Lock()


def open_engine(location: StoreLocation) -> Engine:
    """Create the engine for ``location``; raises :class:`StoreUnavailableError` if the
    database cannot serve now, :class:`StoreError` if it cannot be opened at all."""
    path = location.sqlite_path
    try:
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
            engine = create_engine(
                location.db_url,
                connect_args={"timeout": BUSY_TIMEOUT_MS / 1000, "check_same_thread": False},
            )
            _configure_sqlite(engine)
        else:
            engine = create_engine(location.db_url, pool_pre_ping=True)
        event.listen(engine, "handle_error", translate)
        with engine.connect():
            pass
    except StoreUnavailableError as exc:
        raise StoreUnavailableError(f"cannot open store {location.display_url}: {exc}") from exc
    except (StoreError, SQLAlchemyError, OSError, ImportError) as exc:
        raise StoreError(f"cannot open store {location.display_url}: {exc}") from exc
    return engine


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        # The driver's own transaction handling is off; "begin" below issues BEGIN itself.
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        cur.execute("PRAGMA journal_mode = WAL")
        # NORMAL in WAL mode is durable against a killed process (not against power loss).
        cur.execute("PRAGMA synchronous = NORMAL")
        cur.execute("PRAGMA foreign_keys = ON")
        cur.close()
        dbapi_conn.create_function(UNICODE_LOWER, 1, _lower, deterministic=True)

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        write = conn.get_execution_options().get(_WRITE, False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")


def _lower(value: object) -> object:
    return value.lower() if isinstance(value, str) else value


@contextmanager
def writing(engine: Engine) -> Iterator[Connection]:
    """A connection inside a write transaction, committed on success, rolled back on error."""
    with _write_lock(engine), engine.connect() as conn:
        conn.execution_options(**{_WRITE: True})
        with conn.begin():
            yield conn


def _write_lock(engine: Engine) -> Any:
    """On SQLite, writers take turns at a :class:`WriteLock` before SQLite's own lock."""
    if engine.dialect.name != "sqlite":
        return contextlib.nullcontext()
    with _LOCKS_GUARD:
        lock = _LOCKS.get(engine)
        if lock is None:
            path = engine.url.database  # stores are files: "sqlite://" (memory) is refused
            lock = _LOCKS[engine] = WriteLock(path + LOCK_SUFFIX if path else None)
        return lock


class WriteLock:
    """Turns at writing one SQLite file: a thread lock for the threads of this process and an
    ``flock`` on ``path`` (when given) for the processes.

    A writer that finds SQLite's lock taken naps in SQLite's busy handler, up to 100 ms at a
    time, and in the meantime newcomers that happen to try at the right moment overtake it:
    with a few busy server workers, single writes waited seconds while the file sat unlocked
    a fifth of the time. A writer blocked in ``flock`` is woken by the kernel the moment the
    lock is released. Writers that do not take this lock (another program) still meet at
    SQLite's lock, with its busy timeout. Re-entrant within a thread.
    """

    def __init__(self, path: str | None) -> None:
        self.path = path if file_lock.AVAILABLE else None
        self._thread_lock = threading.RLock()
        self._depth = 0
        self._fd: int | None = None
        self._pid = 0
        self._locked = False

    def __enter__(self) -> WriteLock:
        self._thread_lock.acquire()
        self._depth += 1
        if self._depth == 1 and self.path is not None:
            try:
                file_lock.lock(self._file())
                self._locked = True
            except OSError:
                self.path = None  # a folder this process cannot create files in: SQLite's lock
        return self

    def __exit__(self, *exc: object) -> None:
        try:
            if self._depth == 1 and self._locked and self._fd is not None:
                self._locked = False
                file_lock.unlock(self._fd)
        finally:
            self._depth -= 1
            self._thread_lock.release()

    def _file(self) -> int:
        # A forked child opens its own: an inherited descriptor shares the parent's lock.
        if self._fd is None or self._pid != os.getpid():
            assert self.path is not None
            self._fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o666)
            self._pid = os.getpid()
            weakref.finalize(self, os.close, self._fd)
        return self._fd


@contextmanager
def reading(engine: Engine) -> Iterator[Connection]:
    """A connection inside a read transaction (one consistent snapshot)."""
    with engine.connect() as conn, conn.begin():
        yield conn


# Ids bound per ``IN (...)`` list: SQLite binds at most 32,766 variables per statement.
IN_BATCH = 1000


def batches(ids: Sequence[str], size: int | None = None) -> Iterator[list[str]]:
    """``ids`` in lists of at most ``size`` (default :data:`IN_BATCH`), for ``IN (...)``."""
    size = size or IN_BATCH
    for i in range(0, len(ids), size):
        yield list(ids[i : i + size])


def checkpoint(engine: Engine) -> None:
    """Fold a SQLite store's write-ahead log back into the database file and truncate it, if
    no other process is reading right now (best effort; nothing to do on PostgreSQL)."""
    path = engine.url.database
    if engine.dialect.name != "sqlite" or not path:
        return
    try:
        if os.path.getsize(path + "-wal") < CHECKPOINT_BYTES:
            return  # small: SQLite's own automatic checkpoints take care of it
    except OSError:
        return
    with engine.connect() as conn:
        # A short busy timeout: finishing a run must not wait on another process's reader.
        conn.exec_driver_sql("PRAGMA busy_timeout = 50")
        try:
            conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        except StoreUnavailableError:
            pass  # busy: the next checkpoint will fold it in
        finally:
            conn.exec_driver_sql(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")


def upsert(
    conn: Connection,
    table: Table,
    rows: list[dict[str, Any]],
    keys: tuple[str, ...],
    update: tuple[str, ...],
    where: Any = None,
    plain: bool = False,
) -> None:
    """INSERT ``rows`` into ``table``; on a conflict on ``keys`` update the ``update`` columns
    (or, with no ``update`` columns, skip the row).

    ``where`` (a condition on ``table``, built once: statements are cached by it) limits which
    existing rows are updated. ``plain``: the rows hold only values the driver takes as they
    are, and go through :func:`execute_rows`.
    """
    if rows:
        stmt = _upsert_statement(conn.dialect.name, table, keys, update, where)
        if plain:
            execute_rows(conn, stmt, rows)
        else:
            conn.execute(stmt, rows)


@functools.lru_cache(maxsize=128)
def _upsert_statement(
    dialect: str, table: Table, keys: tuple[str, ...], update: tuple[str, ...], where: Any
) -> Any:
    # Building an ON CONFLICT statement costs more than running it; build each shape once.
    stmt = _insert_for(dialect)(table)
    if update:
        return stmt.on_conflict_do_update(
            index_elements=list(keys),
            set_={col: stmt.excluded[col] for col in update},
            where=where,
        )
    return stmt.on_conflict_do_nothing(index_elements=list(keys))


def execute_rows(conn: Connection, stmt: Any, rows: list[dict[str, Any]]) -> None:
    """``conn.execute(stmt, rows)`` for the hot INSERTs and UPDATEs of runs and metrics (no
    RETURNING), with the SQL compiled once per dialect and the rows handed to the driver as
    they are: SQLAlchemy's processing of each row's parameters costs more than SQLite's insert.
    Only for values the driver takes unchanged (str, int, float, bool, bytes, None)."""
    if not rows:
        return
    sql, names = _driver_sql(conn.dialect, stmt, tuple(rows[0]))
    params = rows if names is None else [tuple(row[n] for n in names) for row in rows]
    conn.exec_driver_sql(sql, params)


@functools.lru_cache(maxsize=64)
def _driver_sql(
    dialect: Any, stmt: Any, keys: tuple[str, ...]
) -> tuple[str, tuple[str, ...] | None]:
    """The SQL text of ``stmt`` for ``dialect`` with the columns ``keys``, and the parameter
    names in order for a positional driver (SQLite's ``?``); None for named ones (psycopg)."""
    compiled = stmt.compile(dialect=dialect, column_keys=list(keys))
    return compiled.string, (tuple(compiled.positiontup) if compiled.positional else None)


def insert_missing(
    conn: Connection, table: Table, rows: list[dict[str, Any]], keys: tuple[str, ...]
) -> list[Any]:
    """INSERT the ``rows`` whose ``keys`` are not taken yet; return the rows inserted.

    Of two transactions inserting the same key at once, the second waits for the first to
    commit and then inserts nothing.
    """
    if not rows:
        return []
    return list(conn.execute(_insert_missing_statement(conn.dialect.name, table, keys), rows))


@functools.lru_cache(maxsize=32)
def _insert_missing_statement(dialect: str, table: Table, keys: tuple[str, ...]) -> Any:
    stmt = _insert_for(dialect)(table).on_conflict_do_nothing(index_elements=list(keys))
    return stmt.returning(*table.c)


def _insert_for(dialect: str) -> Any:
    # Imported here: the PostgreSQL dialect is loaded only by a store that uses it.
    if dialect == "postgresql":
        from sqlalchemy.dialects import postgresql

        return postgresql.insert
    from sqlalchemy.dialects import sqlite

    return sqlite.insert
