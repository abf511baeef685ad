"""The root group: help, version, and the one-line error rule."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from cli_helpers import Invoke, MakeRun
from click.testing import CliRunner

from tracklog import __version__
from tracklog.cli.main import cli
from tracklog.store import engine as engine_module


def test_no_command_prints_help_not_an_error(invoke: Invoke) -> None:
    for args in ((), ("runs",)):
        result = invoke(*args)
        assert "Usage:" in result.output and "error:" not in result.output


def test_version_and_missing_argument(invoke: Invoke) -> None:
    assert invoke("--version").stdout.strip().endswith(__version__)
    result = invoke("runs", "show")
    assert result.exit_code == 2
    assert result.stderr.strip() == (
        "error: Missing argument 'RUN_ID'. (see 'tracklog runs show --help')"
    )


def test_a_store_that_cannot_serve_is_one_error_line(
    invoke: Invoke, make_run: MakeRun, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The store says what the database's error means; the command prints it, no traceback.
    run_id = make_run(name="r")
    monkeypatch.setattr(engine_module, "BUSY_TIMEOUT_MS", 50)
    holder = sqlite3.connect(tmp_path / "tracklog.db", isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        result = invoke("runs", "rm", run_id)
    finally:
        holder.rollback()
        holder.close()
    assert result.exit_code == 1
    assert result.stderr.strip() == (
        "error: the store cannot be used right now: database is locked"
    ), result.stderr


def test_a_root_option_after_the_command_says_where_it_belongs(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["runs", "ls", "--uri", str(tmp_path)])
    assert result.exit_code == 2
    assert result.output.strip() == (
        "error: --uri is an option of 'tracklog' itself: put it before the command, "
        "as in 'tracklog --uri ... runs ls'"
    )
    other = CliRunner().invoke(cli, ["runs", "ls", "--nope"])
    assert other.exit_code == 2 and "No such option '--nope'" in other.output
