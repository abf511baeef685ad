"""``tracklog db upgrade`` and ``tracklog demo``."""

from __future__ import annotations

import json
from pathlib import Path

from cli_helpers import Invoke

from tracklog.store.migrate import HEAD_REVISION


def test_db_upgrade_reports_the_revision(invoke: Invoke, tmp_path: Path) -> None:
    uri = f"sqlite:///{tmp_path}/fresh.db"
    result = invoke("--uri", uri, "db", "upgrade")
    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == f"upgraded from an empty database to revision {HEAD_REVISION}"
    result = invoke("--uri", uri, "db", "upgrade")
    assert result.stdout.strip() == f"already at revision {HEAD_REVISION}"


def test_db_upgrade_bad_uri_is_one_line(invoke: Invoke) -> None:
    result = invoke("--uri", "ftp://example.org/x", "db", "upgrade")
    assert result.exit_code == 1
    assert result.stderr.startswith("error: store URI 'ftp://example.org/x'")
    assert len(result.stderr.strip().splitlines()) == 1


def test_demo_logs_runs(invoke: Invoke) -> None:
    result = invoke("demo", "--runs", "2")
    assert result.exit_code == 0, result.output
    assert "metrics.acc" in result.stdout and result.stdout.count(" demo ") >= 2

    records = [json.loads(line) for line in invoke("runs", "ls", "--json").stdout.splitlines()]
    assert len(records) == 2
    for r in records:
        assert r["status"] == "FINISHED" and r["labels"] == ["demo"]
        assert set(r["summary"]) == {"loss", "acc"} and "lr" in r["config"]
