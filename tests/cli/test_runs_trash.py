"""``tracklog runs rm`` / ``restore``: the trash round trip."""

from __future__ import annotations

from cli_helpers import Invoke, MakeRun, rows_with


def test_rm_then_restore(invoke: Invoke, make_run: MakeRun) -> None:
    keep = make_run(name="keep")
    gone = make_run(name="gone")
    result = invoke("runs", "rm", gone[:5])
    assert result.exit_code == 0, result.output
    assert f"deleted {gone} (gone)" in result.stdout

    assert rows_with(invoke("runs", "ls").stdout, "keep", "gone") == ["keep"]
    listed = invoke("runs", "ls", "--deleted").stdout
    assert sorted(rows_with(listed, "keep", "gone")) == ["gone", "keep"]
    assert "(deleted)" in next(line for line in listed.splitlines() if " gone " in line)

    result = invoke("runs", "restore", gone[:5])  # prefixes find runs in the trash too
    assert result.exit_code == 0 and f"restored {gone}" in result.stdout
    assert sorted(rows_with(invoke("runs", "ls").stdout, "keep", "gone")) == ["gone", "keep"]
    assert keep


def test_rm_with_an_unknown_id_changes_nothing(invoke: Invoke, make_run: MakeRun) -> None:
    run = make_run(name="keep")
    result = invoke("runs", "rm", run, "nosuchrun")
    assert result.exit_code == 1
    assert result.stderr.strip() == "error: no run with id or id prefix 'nosuchrun'"
    assert rows_with(invoke("runs", "ls").stdout, "keep") == ["keep"]
