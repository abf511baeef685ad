"""``tracklog sync``: offline journals reach the store once, with every point."""

from __future__ import annotations

from pathlib import Path

from cli_helpers import Invoke, MakeRun

import tracklog


def test_sync_applies_an_offline_run_once(
    invoke: Invoke, make_run: MakeRun, tmp_path: Path
) -> None:
    run_id = make_run(
        name="offline-run", config={"lr": 0.1}, metrics={"loss": [3.0, 2.0, 1.0]}, mode="offline"
    )
    assert invoke("runs", "ls", "--json").stdout == ""  # nothing in the store yet

    # The default journal folder is where offline runs started here write (./tracklog/offline).
    result = invoke("sync")
    assert result.exit_code == 0, result.output
    assert run_id in result.stdout and "offline-run" in result.stdout
    assert "1 metric series, 3 points" in result.stdout

    run = tracklog.Api().run(run_id)
    assert run.status == "FINISHED" and run.config == {"lr": 0.1}
    assert list(run.series("loss").values) == [3.0, 2.0, 1.0]

    result = invoke("sync", str(tmp_path / "tracklog" / "offline"))
    assert result.exit_code == 0 and "already up to date" in result.stdout
    assert len(tracklog.Api().run(run_id).series("loss")) == 3


def test_sync_into_another_store_with_uri(
    invoke: Invoke, make_run: MakeRun, tmp_path: Path
) -> None:
    run_id = make_run(name="offline-run", metrics={"x": [1.0]}, mode="offline")
    other = f"sqlite:///{tmp_path}/other.db"
    result = invoke("--uri", other, "sync")
    assert result.exit_code == 0, result.output
    assert tracklog.Api(other).run(run_id).summary == {"x": 1.0}


def test_sync_with_nothing_to_do(invoke: Invoke, tmp_path: Path) -> None:
    result = invoke("sync")
    assert result.exit_code == 0 and "no offline runs" in result.stderr
    result = invoke("sync", str(tmp_path / "missing"))
    assert result.exit_code == 2 and "does not exist" in result.stderr
