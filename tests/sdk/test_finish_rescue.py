"""A run whose last points the store does not take is not reported FINISHED.

The store is a real PostgreSQL database and the run logs as a role that loses the right to
write metric chunks before the run finishes: the run's end can still be written, its points
cannot. They go to a rescue journal that ``tracklog sync`` applies once the store takes them.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from click.testing import CliRunner
from psycopg import sql

import tracklog
from pg_server import PostgresServer
from tracklog.cli.main import cli
from tracklog.store.tracking import Store

pytestmark = pytest.mark.postgres


@pytest.fixture
def limited_uri(
    postgres_server: PostgresServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[str, psycopg.Connection, sql.Identifier]]:
    """The URI of a migrated store as a role allowed to write every table of it (also the
    SDK's ``$TRACKLOG_URI``), an admin connection to that database and the role."""
    db = postgres_server.create_database()
    Store(postgres_server.sqlalchemy_uri(db)).close()  # creates the schema
    name = f"r_{uuid.uuid4().hex[:12]}"
    role = sql.Identifier(name)
    admin = psycopg.connect(postgres_server.conninfo(db), autocommit=True)
    admin.execute(sql.SQL("CREATE ROLE {} LOGIN").format(role))
    admin.execute(sql.SQL("GRANT ALL ON ALL TABLES IN SCHEMA public TO {}").format(role))
    admin.execute(sql.SQL("GRANT ALL ON ALL SEQUENCES IN SCHEMA public TO {}").format(role))
    uri = postgres_server.sqlalchemy_uri(db).replace(f"//{postgres_server.user}@", f"//{name}@")
    monkeypatch.setenv("TRACKLOG_URI", uri)
    monkeypatch.setenv("TRACKLOG_ARTIFACTS", str(tmp_path / "artifacts"))
    monkeypatch.chdir(tmp_path)
    yield uri, admin, role
    admin.close()
    postgres_server.drop_database(db)  # ends the connections the run's store still holds
    with psycopg.connect(postgres_server.conninfo("postgres"), autocommit=True) as conn:
        conn.execute(sql.SQL("DROP ROLE {}").format(role))


def test_unwritten_last_points_leave_the_run_failed_until_synced(
    limited_uri: tuple[str, psycopg.Connection, sql.Identifier],
    capsys: pytest.CaptureFixture[str],
) -> None:
    uri, admin, role = limited_uri
    run = tracklog.init(project="p")
    for i in range(100):
        run.log({"loss": float(i)})
    run._writer.flush()
    admin.execute(sql.SQL("REVOKE INSERT, UPDATE ON metric_chunks FROM {}").format(role))
    for i in range(100, 150):
        run.log({"loss": float(i)})
    with pytest.warns(UserWarning, match="refused a batch of metrics"):
        run.finish()
    err = capsys.readouterr().err
    command = re.search(r"`(tracklog sync \S+ --uri \S+)`", err)
    assert command is not None, err
    assert "50 points were not written" in err and "marked FAILED, not FINISHED, until" in err
    # Not FINISHED while points are missing: FAILED, and the error says where they are.
    stored = tracklog.Api(uri).run(run.id)
    assert stored.status == "FAILED" and command.group(1) in (stored.error or "")
    assert len(stored.series("loss")) == 100
    # Once the store takes them again, the printed command applies them and the run's end.
    admin.execute(sql.SQL("GRANT INSERT, UPDATE ON metric_chunks TO {}").format(role))
    synced = CliRunner().invoke(cli, command.group(1).split()[1:], catch_exceptions=False)
    assert synced.exit_code == 0, synced.output
    stored = tracklog.Api(uri).run(run.id)
    assert stored.status == "FINISHED" and stored.error is None
    assert stored.series("loss").values.tolist() == [float(i) for i in range(150)]


def test_refused_media_and_histograms_are_rescued_and_synced_once(
    limited_uri: tuple[str, psycopg.Connection, sql.Identifier],
    capsys: pytest.CaptureFixture[str],
) -> None:
    from media_values import Spread

    uri, admin, role = limited_uri
    run = tracklog.init(project="p")
    run.log({"sample": "stored", "w": Spread([1.0, 2.0])})
    run._writer.flush()
    for table in ("run_media", "run_histograms"):
        admin.execute(sql.SQL("REVOKE INSERT ON {} FROM {}").format(sql.Identifier(table), role))
    run.log({"sample": "rescued", "w": Spread([3.0, 4.0]), "loss": 1.0})
    with pytest.warns(UserWarning, match="refused a batch of (media|histograms)"):
        run.finish()
    command = re.search(r"`(tracklog sync \S+ --uri \S+)`", capsys.readouterr().err)
    assert command is not None
    stored = tracklog.Api(uri).run(run.id)
    assert stored.status == "FAILED" and len(stored.media("sample")) == 1
    for table in ("run_media", "run_histograms"):
        admin.execute(sql.SQL("GRANT INSERT ON {} TO {}").format(sql.Identifier(table), role))
    for _ in range(2):  # a second sync applies nothing again
        synced = CliRunner().invoke(cli, command.group(1).split()[1:], catch_exceptions=False)
        assert synced.exit_code == 0, synced.output
    stored = tracklog.Api(uri).run(run.id)
    assert stored.status == "FINISHED"
    assert [m.read_bytes() for m in stored.media("sample")] == [b"stored", b"rescued"]
    assert [h.edges[0] for h in stored.histograms("w")] == [1.0, 3.0]
