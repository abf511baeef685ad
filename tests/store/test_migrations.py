"""Schema migrations: Alembic's head matches the store's fast check; upgrade is idempotent;
a new store and an upgraded old one have the same schema."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, inspect

from tracklog.store import migrate, schema
from tracklog.store.engine import open_engine, writing
from tracklog.store.location import resolve
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


def test_a_new_store_has_the_schema_that_upgrading_an_old_one_builds(
    store_uri: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    """A new store is created at the head revision at once; a store at the first revision is
    upgraded through every migration. Both end with the same tables, columns, keys, indexes
    and rows (column order aside: migrations append added columns)."""
    if store_uri.startswith("sqlite"):
        old_uri = f"sqlite:///{tmp_path}/old.db"
    else:
        old_uri = request.getfixturevalue("postgres_uri_factory")()
    old_location = resolve(old_uri)
    engine = open_engine(old_location)
    cfg = Config()
    cfg.set_main_option("script_location", str(migrate.MIGRATIONS_DIR))
    cfg.attributes["artifact_root"] = old_location.artifact_root
    with writing(engine) as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "0001")
    engine.dispose()

    new, old = Store(store_uri), Store(old_uri)
    with new.engine.connect() as conn:
        assert migrate.current_revision(conn) == migrate.HEAD_REVISION
    assert _describe(new.engine) == _describe(old.engine)
    rows = [(p.name, p.lifecycle_stage) for p in new.projects()]
    assert rows == [(p.name, p.lifecycle_stage) for p in old.projects()] == [("Default", "active")]
    assert new.project_id("Default") == old.project_id("Default") == 0
    # Both take runs alike.
    for store in (new, old):
        run = store.create_run("p", config={"a": 1}, labels=["x"])
        assert store.get_run(run.id).config == {"a": 1}
        store.close()


def _describe(engine: Engine) -> dict[str, Any]:
    """Every table's columns (by name), primary and foreign keys, indexes and unique
    constraints, as the database reports them."""
    insp = inspect(engine)
    out: dict[str, Any] = {}
    for t in insp.get_table_names():
        out[t] = {
            "columns": {
                c["name"]: (str(c["type"]), c["nullable"], c.get("default"))
                for c in insp.get_columns(t)
            },
            "pk": insp.get_pk_constraint(t),
            "fks": sorted(repr(sorted(fk.items())) for fk in insp.get_foreign_keys(t)),
            "indexes": sorted(repr(sorted(ix.items())) for ix in insp.get_indexes(t)),
            "unique": sorted(repr(sorted(uq.items())) for uq in insp.get_unique_constraints(t)),
        }
    return out
