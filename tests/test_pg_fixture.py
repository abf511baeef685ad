"""Self-tests for the ``store_uri`` / ``postgres_server`` fixtures in conftest.py."""

from __future__ import annotations

import math
from collections.abc import Callable

import psycopg
import pytest
import sqlalchemy as sa

from pg_server import PostgresServer

VALUES = {"nan": math.nan, "pos_inf": math.inf, "neg_inf": -math.inf, "half": 1.5}


def _dialect(uri: str) -> str:
    return sa.make_url(uri).get_backend_name()


def test_store_uri_dialect_and_driver(store_uri: str) -> None:
    url = sa.make_url(store_uri)
    assert url.get_backend_name() in ("sqlite", "postgresql")
    if url.get_backend_name() == "postgresql":
        assert url.get_driver_name() == "psycopg"
        assert url.host == "127.0.0.1"
        assert url.database is not None
        assert url.database.startswith("t_")


def test_non_finite_floats_round_trip(store_uri: str) -> None:
    """NaN and ±inf in DOUBLE PRECISION and REAL columns.

    PostgreSQL stores IEEE NaN/Infinity/-Infinity natively in float8 and float4, so every
    value comes back exactly. SQLite has no NaN: binding a NaN double stores NULL
    (sqlite3_bind_double converts it), while ±inf are kept. Stores that must keep NaN on
    SQLite therefore have to encode it themselves; this test pins down that fact.
    """
    metadata = sa.MetaData()
    floats = sa.Table(
        "floats",
        metadata,
        sa.Column("label", sa.String(16), primary_key=True),
        sa.Column("d", sa.Double()),
        sa.Column("r", sa.REAL()),
    )
    engine = sa.create_engine(store_uri)
    try:
        metadata.create_all(engine)
        with engine.begin() as conn:
            conn.execute(floats.insert(), [{"label": k, "d": v, "r": v} for k, v in VALUES.items()])
        with engine.connect() as conn:
            rows = {row.label: (row.d, row.r) for row in conn.execute(sa.select(floats))}
            if _dialect(store_uri) == "postgresql":
                types = conn.execute(
                    sa.text("SELECT pg_typeof(d)::text, pg_typeof(r)::text FROM floats LIMIT 1")
                ).one()
                assert tuple(types) == ("double precision", "real")
                # NaN is stored as NaN server-side, not as NULL.
                assert conn.scalar(sa.text("SELECT count(*) FROM floats WHERE d = 'NaN'")) == 1
    finally:
        engine.dispose()

    assert set(rows) == set(VALUES)
    assert rows["pos_inf"] == (math.inf, math.inf)
    assert rows["neg_inf"] == (-math.inf, -math.inf)
    assert rows["half"] == (1.5, 1.5)
    if _dialect(store_uri) == "sqlite":
        assert rows["nan"] == (None, None)
    else:
        d, r = rows["nan"]
        assert isinstance(d, float) and math.isnan(d)
        assert isinstance(r, float) and math.isnan(r)


@pytest.mark.parametrize("round_", [1, 2])
def test_each_test_gets_an_empty_database(store_uri: str, round_: int) -> None:
    """Run twice per backend: the second run would see the first's table if DBs were reused."""
    engine = sa.create_engine(store_uri)
    try:
        assert sa.inspect(engine).get_table_names() == []
        with engine.begin() as conn:
            conn.execute(sa.text("CREATE TABLE marker (round integer)"))
            conn.execute(sa.text("INSERT INTO marker VALUES (:r)"), {"r": round_})
    finally:
        engine.dispose()


def test_two_databases_are_isolated(
    store_uri: str, request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> None:
    if _dialect(store_uri) == "sqlite":
        other_uri = f"sqlite:///{tmp_path_factory.mktemp('other')}/tracklog.db"
    else:
        factory: Callable[[], str] = request.getfixturevalue("postgres_uri_factory")
        other_uri = factory()
    assert other_uri != store_uri

    engines = [sa.create_engine(store_uri), sa.create_engine(other_uri)]
    try:
        with engines[0].begin() as conn:
            conn.execute(sa.text("CREATE TABLE runs (name varchar(20))"))
            conn.execute(sa.text("INSERT INTO runs VALUES ('first')"))
        assert sa.inspect(engines[1]).get_table_names() == []
        with engines[1].begin() as conn:
            conn.execute(sa.text("CREATE TABLE runs (name varchar(20))"))
            conn.execute(sa.text("INSERT INTO runs VALUES ('second'), ('third')"))
        seen = []
        for engine in engines:
            with engine.connect() as conn:
                seen.append(sorted(conn.scalars(sa.text("SELECT name FROM runs"))))
        assert seen == [["first"], ["second", "third"]]
    finally:
        for engine in engines:
            engine.dispose()


@pytest.mark.postgres
def test_postgres_server_settings(postgres_server: PostgresServer) -> None:
    with psycopg.connect(postgres_server.conninfo("postgres")) as conn:
        settings = {
            name: conn.execute(f"SHOW {name}").fetchone()[0]  # type: ignore[index]
            for name in ("listen_addresses", "fsync", "synchronous_commit", "full_page_writes")
        }
        version = conn.info.server_version
    assert settings == {
        "listen_addresses": "127.0.0.1",
        "fsync": "off",
        "synchronous_commit": "off",
        "full_page_writes": "off",
    }
    assert version >= 130000  # DROP DATABASE ... WITH (FORCE) needs 13+


@pytest.mark.postgres
def test_drop_database_terminates_leaked_connections(postgres_server: PostgresServer) -> None:
    name = postgres_server.create_database()
    leaked = psycopg.connect(postgres_server.conninfo(name))
    try:
        postgres_server.drop_database(name)
        with psycopg.connect(postgres_server.conninfo("postgres")) as conn:
            exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,))
            assert exists.fetchone() is None
    finally:
        leaked.close()


def test_a_test_reparametrised_to_postgresql_is_a_postgres_test() -> None:
    """``-m "not postgres"`` leaves out every case on PostgreSQL, also where a test chooses
    ``store_uri``'s database itself (``parametrize("store_uri", ["postgresql"], ...)``)."""
    import subprocess
    import sys
    from pathlib import Path

    here = Path(__file__).parent
    chosen = [str(here / "server" / "test_faults.py"), str(here / "mlflow" / "test_postgres.py")]
    args = ["--collect-only", "-q", "-p", "no:cacheprovider", "-m", "not postgres", *chosen]
    done = subprocess.run(
        [sys.executable, "-m", "pytest", *args], capture_output=True, text=True, cwd=here.parent
    )
    assert done.returncode in (0, 5), done.stdout + done.stderr  # 5: nothing collected
    collected = [line for line in done.stdout.splitlines() if "::" in line]
    assert collected and not [line for line in collected if "postgresql" in line], done.stdout
