"""Schema migrations: Alembic's head matches the store's fast check; upgrade is idempotent."""

from __future__ import annotations

from alembic.config import Config
from alembic.script import ScriptDirectory
from sqlalchemy import inspect

from tracklog.store import migrate, schema
from tracklog.store.tracking import Store


def test_head_revision_constant_matches_alembic() -> None:
    cfg = Config()
    cfg.set_main_option("script_location", str(migrate.MIGRATIONS_DIR))
    assert ScriptDirectory.from_config(cfg).get_current_head() == migrate.HEAD_REVISION


def test_first_open_creates_every_table_and_upgrade_is_idempotent(store_uri: str) -> None:
    store = Store(store_uri)
    tables = set(inspect(store.engine).get_table_names())
    assert set(schema.metadata.tables) <= tables
    assert migrate.upgrade(store.engine, store.location) == migrate.HEAD_REVISION
    assert migrate.upgrade(store.engine, store.location) == migrate.HEAD_REVISION
