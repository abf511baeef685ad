"""Schema migrations (Alembic), run on first use of a store and by ``tracklog db upgrade``.

Opening an up-to-date store costs one SELECT. A new, empty database gets the newest schema at
once (``schema.metadata``, stamped with :data:`HEAD_REVISION`); Alembic is imported only to
upgrade an older store, one migration after the other. A test checks that both ways build the
same schema. Concurrent first opens are serialised by a lock (a file lock beside a SQLite
database, an advisory lock on PostgreSQL), so two processes creating a store at once cannot
corrupt it.
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Collection, Iterator
from contextlib import closing, contextmanager
from pathlib import Path
from urllib.request import pathname2url

from sqlalchemy import (
    Column,
    Connection,
    Engine,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Table,
    inspect,
    text,
)
from sqlalchemy.exc import SQLAlchemyError

from tracklog.errors import StoreError, StoreUnavailableError
from tracklog.store import file_lock, schema
from tracklog.store.clock import now_ms
from tracklog.store.engine import writing
from tracklog.store.location import StoreLocation

# The newest revision in migrations/versions; a test checks it against Alembic's own head.
HEAD_REVISION = "0012"
_OUR_REVISION = re.compile(r"\d{4}")
_PG_LOCK_ID = 0x7472_616C  # "tral": one advisory-lock id for every tracklog migration
MIGRATIONS_DIR = Path(__file__).parent / "migrations"
# Alembic's own bookkeeping table, as Alembic creates it.
_VERSION = Table(
    "alembic_version",
    MetaData(),
    Column("version_num", String(32), nullable=False),
    PrimaryKeyConstraint("version_num", name="alembic_version_pkc"),
)


def current_revision(conn: Connection) -> str | None:
    """The schema revision recorded in the store, or None for an empty database."""
    try:
        with conn.begin_nested():
            return conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
    except StoreUnavailableError:
        raise  # a busy or unreachable database is not an empty one
    except (StoreError, SQLAlchemyError):
        return None


def ensure_schema(engine: Engine, location: StoreLocation) -> None:
    """Bring the store's schema up to :data:`HEAD_REVISION` if it is not there yet; refuse a
    database whose schema is another application's (see :func:`refuse_foreign`)."""
    with engine.connect() as conn:
        revision = current_revision(conn)
        if revision == HEAD_REVISION:
            return
        if revision is not None:
            refuse_foreign(location, revision, inspect(conn).get_table_names())
    upgrade(engine, location)


def refuse_foreign_sqlite(location: StoreLocation) -> None:
    """Refuse a SQLite file that holds another application's schema before opening it for
    writing: opening it as a store would switch it to WAL mode, which rewrites its header."""
    path = location.sqlite_path
    if path is None or not path.is_file() or not path.stat().st_size:
        return
    try:
        with closing(sqlite3.connect(f"file:{pathname2url(str(path))}?mode=ro", uri=True)) as db:
            tables = [row[0] for row in db.execute("SELECT name FROM sqlite_master")]
            if "alembic_version" not in tables:
                return
            revision = db.execute("SELECT version_num FROM alembic_version").fetchone()
    except sqlite3.Error:
        return  # not a database, or unreadable: opening it names the problem
    if revision is not None:
        refuse_foreign(location, revision[0], tables)


def refuse_foreign(location: StoreLocation, revision: str, tables: Collection[str]) -> None:
    """Raise :class:`StoreError` unless ``revision`` is one of this tracklog's migrations.

    An MLflow tracking database (MLflow also versions its schema with Alembic) gets the
    command that imports it; a newer tracklog's store asks for an upgrade of tracklog.
    """
    url = location.display_url
    if _OUR_REVISION.fullmatch(revision):
        if revision > HEAD_REVISION:
            raise StoreError(
                f"{url}: the store's schema revision {revision} is newer than this tracklog's "
                f"({HEAD_REVISION}); upgrade tracklog to open it"
            )
        return
    if {"metrics", "latest_metrics"} <= set(tables):
        raise StoreError(
            f"{url} holds an MLflow tracking database, which tracklog does not open as its "
            f"store (it is left untouched); import its runs with: tracklog import mlflow {url}"
        )
    raise StoreError(
        f"{url}: its schema revision {revision!r} is not tracklog's (another application's "
        "database?); it is left untouched: give tracklog a database of its own"
    )


def upgrade(engine: Engine, location: StoreLocation) -> str:
    """Bring the schema to :data:`HEAD_REVISION` under a cross-process lock: create it in an
    empty database, run the pending migrations in an older store. Returns the new revision."""
    try:
        with _migration_lock(engine, location), writing(engine) as conn:
            revision = current_revision(conn)
            if revision is None and not inspect(conn).get_table_names():
                _create_head(conn, location)
            elif revision != HEAD_REVISION:
                _migrate(conn, location)
            return current_revision(conn) or ""
    except SQLAlchemyError as exc:
        raise StoreError(f"migrating the store's schema failed: {exc}") from exc


def _create_head(conn: Connection, location: StoreLocation) -> None:
    """The newest schema in an empty database, with the rows the migrations would add."""
    schema.metadata.create_all(conn)
    _VERSION.create(conn)
    conn.execute(_VERSION.insert().values(version_num=HEAD_REVISION))
    # MLflow's Default experiment (id 0), as migration 0004 adds it.
    t = now_ms()
    conn.execute(
        schema.experiments.insert().values(
            id=0,
            name="Default",
            artifact_location=location.artifact_root,
            lifecycle_stage="active",
            created_at=t,
            updated_at=t,
        )
    )


def _migrate(conn: Connection, location: StoreLocation) -> None:
    """Run every pending Alembic migration on ``conn``."""
    from alembic import command
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.attributes["artifact_root"] = location.artifact_root  # for rows a migration creates
    cfg.attributes["connection"] = conn
    command.upgrade(cfg, "head")


@contextmanager
def _migration_lock(engine: Engine, location: StoreLocation) -> Iterator[None]:
    path = location.sqlite_path
    if path is not None:
        with open(path.with_name(path.name + ".migrate-lock"), "a") as lock:
            file_lock.lock(lock.fileno())
            try:
                yield
            finally:
                file_lock.unlock(lock.fileno())
        return
    with engine.connect() as conn:
        conn.execute(text("SELECT pg_advisory_lock(:id)"), {"id": _PG_LOCK_ID})
        conn.commit()
        try:
            yield
        finally:
            conn.execute(text("SELECT pg_advisory_unlock(:id)"), {"id": _PG_LOCK_ID})
            conn.commit()
