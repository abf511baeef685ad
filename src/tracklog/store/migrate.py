"""Schema migrations (Alembic), run on first use of a store and by ``tracklog db upgrade``.

Opening an up-to-date store costs one SELECT: Alembic is imported only when the schema is
missing or old. Concurrent first opens are serialised by a lock (a file lock beside a SQLite
database, an advisory lock on PostgreSQL), so two processes creating a store at once cannot
corrupt it.
"""

from __future__ import annotations

import fcntl
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import Connection, Engine, text
from sqlalchemy.exc import SQLAlchemyError

from tracklog.errors import StoreError
from tracklog.store.engine import writing
from tracklog.store.location import StoreLocation

# The newest revision in migrations/versions; a test checks it against Alembic's own head.
HEAD_REVISION = "0006"
_PG_LOCK_ID = 0x7472_616C  # "tral": one advisory-lock id for every tracklog migration
MIGRATIONS_DIR = Path(__file__).parent / "migrations"


def current_revision(conn: Connection) -> str | None:
    """The schema revision recorded in the store, or None for an empty database."""
    try:
        with conn.begin_nested():
            return conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
    except SQLAlchemyError:
        return None


def ensure_schema(engine: Engine, location: StoreLocation) -> None:
    """Bring the store's schema up to :data:`HEAD_REVISION` if it is not there yet."""
    with engine.connect() as conn:
        if current_revision(conn) == HEAD_REVISION:
            return
    upgrade(engine, location)


def upgrade(engine: Engine, location: StoreLocation) -> str:
    """Run every pending migration under a cross-process lock; return the new revision."""
    from alembic import command
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.attributes["artifact_root"] = location.artifact_root  # for rows a migration creates
    try:
        with _migration_lock(engine, location), writing(engine) as conn:
            if current_revision(conn) != HEAD_REVISION:
                cfg.attributes["connection"] = conn
                command.upgrade(cfg, "head")
            return current_revision(conn) or ""
    except SQLAlchemyError as exc:
        raise StoreError(f"migrating the store's schema failed: {exc}") from exc


@contextmanager
def _migration_lock(engine: Engine, location: StoreLocation) -> Iterator[None]:
    path = location.sqlite_path
    if path is not None:
        with open(path.with_name(path.name + ".migrate-lock"), "a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)
        return
    with engine.connect() as conn:
        conn.execute(text("SELECT pg_advisory_lock(:id)"), {"id": _PG_LOCK_ID})
        conn.commit()
        try:
            yield
        finally:
            conn.execute(text("SELECT pg_advisory_unlock(:id)"), {"id": _PG_LOCK_ID})
            conn.commit()
