"""A store URI that points at an MLflow database is refused before anything is written, with
one line that says how to import it instead (issue 19)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner

from tracklog.cli.main import cli
from tracklog.errors import StoreError
from tracklog.store.tracking import Store


@pytest.fixture
def mlflow_db(mlflow_data: tuple[Path, dict[str, dict[str, str]]], tmp_path: Path) -> Path:
    """A private copy of an MLflow SQLite database the real mlflow client wrote."""
    folder, _ = mlflow_data
    return Path(shutil.copy(folder / "mlflow.db", tmp_path / "mlflow.db"))


def _server(uri: str, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    main = "from tracklog.cli.main import main; main()"
    command = [sys.executable, "-c", main, "server", "--backend-store-uri", uri]
    env = {**os.environ, "TRACKLOG_ARTIFACTS": str(tmp_path / "artifacts")}
    return subprocess.run(
        [*command, "--port", "0"], capture_output=True, text=True, timeout=60, env=env
    )


def test_the_server_refuses_an_mlflow_sqlite_file_and_leaves_it_byte_identical(
    mlflow_db: Path, tmp_path: Path
) -> None:
    before = mlflow_db.read_bytes()
    uri = f"sqlite:///{mlflow_db}"
    done = _server(uri, tmp_path)
    assert done.returncode == 1
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith("error: ") and f"tracklog import mlflow {uri}" in lines[0]
    assert "Traceback" not in done.stdout + done.stderr
    assert mlflow_db.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["mlflow.db"]  # no -wal, no lock


def test_every_command_and_the_sdk_refuse_it_the_same_way(mlflow_db: Path) -> None:
    before = mlflow_db.read_bytes()
    uri = f"sqlite:///{mlflow_db}"
    result = CliRunner().invoke(cli, ["--uri", uri, "runs", "ls"])
    assert result.exit_code == 1
    assert f"tracklog import mlflow {uri}" in result.output
    with pytest.raises(StoreError, match="holds an MLflow tracking database"):
        Store(uri)
    assert mlflow_db.read_bytes() == before


def test_a_postgresql_database_with_mlflows_schema_is_refused(
    postgres_uri_factory: Callable[[], str], tmp_path: Path
) -> None:
    uri = postgres_uri_factory()
    write = "import mlflow, sys; mlflow.MlflowClient(sys.argv[1]).create_experiment('e')"
    done = subprocess.run(
        [sys.executable, "-c", write, uri], capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr[-3000:]
    with pytest.raises(StoreError, match=r"holds an MLflow tracking database.*tracklog import"):
        Store(uri)
    served = _server(uri, tmp_path)
    assert served.returncode == 1 and "tracklog import mlflow" in served.stderr
    # Nothing of tracklog's was created beside MLflow's tables.
    from sqlalchemy import create_engine, inspect

    engine = create_engine(uri)
    try:
        assert "run_summary" not in inspect(engine).get_table_names()
    finally:
        engine.dispose()


def test_a_database_of_another_alembic_application_is_refused(tmp_path: Path) -> None:
    import sqlite3

    path = tmp_path / "other.db"
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL)")
        conn.execute("INSERT INTO alembic_version VALUES ('abc123def456')")
        conn.execute("CREATE TABLE orders (id INTEGER)")
    conn.close()
    before = path.read_bytes()
    with pytest.raises(StoreError, match="schema revision 'abc123def456' is not tracklog's"):
        Store(f"sqlite:///{path}")
    assert path.read_bytes() == before


def test_a_newer_tracklogs_store_asks_for_an_upgrade(tmp_path: Path) -> None:
    uri = f"sqlite:///{tmp_path / 'tracklog.db'}"
    Store(uri).close()
    import sqlite3

    with sqlite3.connect(tmp_path / "tracklog.db") as conn:
        conn.execute("UPDATE alembic_version SET version_num = '9999'")
    conn.close()
    with pytest.raises(StoreError, match="revision 9999 is newer than this tracklog's"):
        Store(uri)
