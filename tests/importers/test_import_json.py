"""``tracklog import json``: a home-grown JSON tracker's experiment folders become runs."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

from importer_helpers import Import

import tracklog


def _experiment(root: Path, name: str, **doc: object) -> Path:
    folder = root / name
    (folder / "artifacts" / "plots").mkdir(parents=True)
    (folder / "artifacts" / "plots" / "loss.txt").write_text("a plot")
    body = {
        "id": f"id-{name}",
        "name": name,
        "config": {"lr": 0.1, "model": {"depth": 4}},
        "metrics": {
            "loss": [
                {"value": 1.0, "step": 0, "timestamp": 1704110400.0},
                {"value": 0.5, "step": 1, "timestamp": 1704110460.5},
                {"value": "n/a", "step": 2, "timestamp": 1704110470.0},
            ],
            "acc": [{"value": 0.7, "timestamp": "2024-01-01T12:02:00"}, {"value": 0.9}],
        },
        "started_at": "20240101_120000",
        "ended_at": "20240101_130000",
        "status": "completed",
        **doc,
    }
    (folder / "experiment.json").write_text(json.dumps(body))
    (folder / "config.json").write_text(json.dumps({"lr": 0.2, "batch": 32}))
    return folder


def test_experiment_folders_become_runs(
    tmp_path: Path, run_import: Import, api: tracklog.Api
) -> None:
    root = tmp_path / "my-tracker"
    _experiment(root, "baseline")
    _experiment(root, "crashed", status="failed", ended_at=None)
    result = run_import("json", str(root))
    assert result.exit_code == 0, result.output
    assert "imported 2 runs (8 points, 2 files)" in result.output
    assert "1 of the points of 'loss' hold no number; left out" in result.output
    runs = {r.name: r for r in api.runs("my-tracker")}
    base = runs["baseline"]
    assert base.status == "FINISHED" and runs["crashed"].status == "FAILED"
    assert base.config == {"lr": 0.2, "model": {"depth": 4}, "batch": 32}
    start = int(datetime.strptime("20240101_120000", "%Y%m%d_%H%M%S").timestamp() * 1000)
    assert base.start_time == start and base.end_time == start + 3_600_000
    loss = base.series("loss")
    assert loss.steps.tolist() == [0, 1] and loss.values.tolist() == [1.0, 0.5]
    assert loss.timestamps.tolist() == [1704110400000, 1704110460500]
    assert base.series("acc").steps.tolist() == [0, 1]  # no step: the place in the list
    assert base.files() == ["plots/loss.txt"]
    assert base.metadata["imported_from"]["id"] == "id-baseline"
    again = run_import("json", str(root))
    assert "imported 0 runs" in again.output and "skipped 2 already imported" in again.output


def test_a_malformed_folder_is_named_and_skipped(
    tmp_path: Path, run_import: Import, api: tracklog.Api
) -> None:
    root = tmp_path / "tracker"
    _experiment(root, "good")
    bad = _experiment(root, "bad")
    (bad / "experiment.json").write_text('{"name": "bad", "metrics": ')
    odd = _experiment(root, "odd", started_at="last tuesday")
    result = run_import("json", str(root), "--project", "moved")
    assert result.exit_code == 1
    assert f"{bad / 'experiment.json'}: not valid JSON" in result.output
    assert f"{odd / 'experiment.json'}: started_at 'last tuesday' is not a time" in result.output
    assert "2 could not be read (named above): bad, odd" in result.output
    assert [r.name for r in api.runs("moved")] == ["good"]


def test_a_folder_without_experiments_is_refused(tmp_path: Path, run_import: Import) -> None:
    result = run_import("json", str(tmp_path))
    assert result.exit_code == 1 and "no experiment.json inside" in result.output
    missing = run_import("json", str(tmp_path / "nope"))
    assert missing.exit_code == 1 and "no such folder" in missing.output
