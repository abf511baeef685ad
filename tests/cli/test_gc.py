"""``tracklog gc``: purge the trash, with a dry run and a confirmation."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from cli_helpers import Invoke, MakeRun, rows_with
from click.testing import CliRunner

from tracklog.cli import gc as gc_module
from tracklog.cli.main import cli
from tracklog.store.tracking import Store


@pytest.fixture
def store(cli_uri: str) -> Iterator[Store]:
    s = Store(cli_uri)
    yield s
    s.close()


def _trashed(store: Store, name: str, size: int = 2048) -> str:
    run = store.create_run("proj", name=name)
    store.write_file(run.id, "data.bin", [b"x" * size])
    store.finish_run(run.id, "FINISHED")
    store.delete_run(run.id)
    return run.id


def test_nothing_to_do(invoke: Invoke, make_run: MakeRun) -> None:
    make_run(name="keep")
    result = invoke("gc", "--yes")
    assert result.exit_code == 0
    assert result.stdout.strip() == "nothing to purge: no runs in the trash"
    assert rows_with(invoke("runs", "ls").stdout, "keep") == ["keep"]


def test_dry_run_lists_and_changes_nothing(invoke: Invoke, store: Store) -> None:
    gone = _trashed(store, "gone")
    result = invoke("gc", "--dry-run")
    assert result.exit_code == 0, result.output
    row = next(line for line in result.stdout.splitlines() if " gone " in line)
    assert gone in row and "proj" in row and "2.0 KiB" in row
    assert "would purge 1 run, 2.0 KiB of files (dry run: nothing changed)" in result.stdout
    assert store.get_run(gone).lifecycle_stage == "deleted"


def test_yes_purges_only_the_trash(invoke: Invoke, store: Store, make_run: MakeRun) -> None:
    keep = make_run(name="keep")
    gone = _trashed(store, "gone")
    folder = store.get_run(gone).artifact_uri
    result = invoke("gc", "--yes")
    assert result.exit_code == 0, result.output
    assert "purged 1 run, 2.0 KiB of files" in result.stdout
    assert not store.has_run(gone)
    assert not __import__("os").path.exists(folder)
    assert store.get_run(keep).lifecycle_stage == "active"
    assert "nothing to purge" in invoke("gc", "--yes").stdout


def test_refuses_without_yes_on_non_interactive_input(invoke: Invoke, store: Store) -> None:
    gone = _trashed(store, "gone")
    result = invoke("gc")
    assert result.exit_code == 1
    assert result.stderr.strip() == (
        "error: refusing to purge 1 run without confirmation: stdin is not a terminal; pass --yes"
    )
    assert store.get_run(gone).lifecycle_stage == "deleted"


def test_interactive_confirmation(
    cli_uri: str, store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    gone = _trashed(store, "gone")
    monkeypatch.setattr(gc_module, "_interactive", lambda: True)
    result = CliRunner().invoke(cli, ["gc"], input="n\n")
    assert result.exit_code == 1 and "aborted" in result.stderr
    assert store.get_run(gone).lifecycle_stage == "deleted"
    result = CliRunner().invoke(cli, ["gc"], input="y\n")
    assert result.exit_code == 0, result.output
    assert "purged 1 run" in result.stdout and not store.has_run(gone)


def test_older_than(invoke: Invoke, store: Store) -> None:
    gone = _trashed(store, "recent")
    result = invoke("gc", "--older-than", "7", "--yes")
    assert result.stdout.strip() == "nothing to purge: no runs in the trash that old"
    assert store.get_run(gone).lifecycle_stage == "deleted"
    assert invoke("gc", "--older-than", "-1").exit_code == 2


def test_a_server_is_refused_naming_the_command(invoke: Invoke) -> None:
    # Nothing is asked of the server (none listens here): gc needs the database itself.
    result = invoke("--uri", "http://127.0.0.1:9", "gc", "--yes")
    assert result.exit_code == 1
    assert "'tracklog gc' needs direct access to the store" in result.output
    assert "not a tracklog server" in result.output
