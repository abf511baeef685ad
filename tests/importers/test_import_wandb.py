"""``tracklog import wandb``: offline run folders written by the real wandb package, imported
point for point; truncated logs and bad folders refused without a half run."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import pytest
from importer_helpers import Import

import tracklog


def _logged(data: Path) -> dict[str, dict[str, Any]]:
    """What write_wandb.py logged, by run name: its run id, rows and time windows."""
    found = {}
    for f in data.glob("*.json"):
        doc = json.loads(f.read_text())
        found[doc["name"]] = {"id": f.stem, **doc}
    return found


def _run_folder(data: Path, run_id: str) -> Path:
    (folder,) = (data / "wandb").glob(f"offline-run-*-{run_id}")
    return folder


def test_offline_run_is_imported_point_for_point(
    wandb_data: Path, run_import: Import, api: tracklog.Api, tmp_path: Path
) -> None:
    full = _logged(wandb_data)["full"]
    folder = _run_folder(wandb_data, full["id"])
    result = run_import("wandb", str(folder))
    assert result.exit_code == 0, result.output
    assert "imported 1 run (12 points, " in result.output

    run = api.run(full["id"])  # the W&B run id is kept
    assert (run.project, run.name, run.status) == ("nlp", "full", "FINISHED")
    assert run.config == {"lr": 0.1, "optimizer": {"name": "adam", "betas": [0.9, 0.99]}}
    assert run.labels == ["baseline", "v2"]
    assert (run.notes, run.group, run.job_type) == ("first try", "sweep-1", "train")
    assert run.metadata["imported_from"]["source"] == "wandb"
    assert run.metadata["imported_from"]["run_id"] == full["id"]
    assert run.metric_keys() == ["acc", "loss", "lr"]

    rows = full["logged"]
    loss = run.series("loss")
    assert loss.steps.tolist() == [r["step"] for r in rows] + [99]
    assert loss.values[:-1].tolist() == [r["row"]["loss"] for r in rows]
    assert math.isnan(loss.values[-1])
    acc = run.series("acc")
    assert acc.values.tolist() == [r["row"]["acc"] for r in rows]
    for t, r in zip(acc.timestamps.tolist(), rows, strict=True):
        assert r["before"] - 1 <= t <= r["after"] + 1  # the row's own _timestamp
    assert run.series("lr").steps.tolist() == [99]
    assert run.start_time <= int(acc.timestamps[0]) <= run.end_time

    assert run.summary["best_acc"] == 0.9  # set by hand
    assert run.summary["acc"] == 0.4 and math.isnan(run.summary["loss"])
    assert not any(k.startswith("_") for k in run.summary)
    assert "model.txt" in run.files()  # with requirements.txt, which wandb saves itself
    assert f"imported 1 run (12 points, {len(run.files())} files)" in result.output
    assert run.download("model.txt", tmp_path / "got").read_text() == "weights"


def test_wandb_folder_imports_every_run_once(
    wandb_data: Path, run_import: Import, api: tracklog.Api
) -> None:
    logged = _logged(wandb_data)
    first = run_import("wandb", str(wandb_data / "wandb"), "--project", "moved")
    assert first.exit_code == 0, first.output
    assert "imported 2 runs" in first.output  # latest-run, a link, is not a third
    assert sorted(r.name for r in api.runs("moved")) == ["full", "small"]
    small = api.run(logged["small"]["id"])
    assert small.series("loss").values.tolist() == [3.0]
    assert small.labels == [] and small.notes is None

    again = run_import("wandb", str(wandb_data / "wandb"), "--project", "moved")
    assert again.exit_code == 0, again.output
    assert f"skipped {logged['small']['id']} (small): already imported" in again.output
    assert "imported 0 runs (0 points, 0 files); skipped 2 already imported" in again.output
    assert len(api.runs()) == 2


def test_truncated_log_is_refused_naming_it(
    wandb_copy: Path, run_import: Import, api: tracklog.Api
) -> None:
    small = _logged(wandb_copy)["small"]
    folder = _run_folder(wandb_copy, small["id"])
    (log,) = folder.glob("run-*.wandb")
    data = log.read_bytes()
    log.write_bytes(data[: len(data) // 2])
    result = run_import("wandb", str(folder))
    assert result.exit_code == 1
    assert f"error: {log}: " in result.output
    # Mid-record as a rule; exactly between two records the missing exit record tells.
    assert "truncated at byte" in result.output or "ends before the run's exit" in result.output
    assert len(api.runs(include_deleted=True)) == 0


def test_log_without_exit_record_is_refused(
    wandb_copy: Path, run_import: Import, api: tracklog.Api
) -> None:
    """A log that ends between records (a crashed run, or a cut at a record boundary)."""
    from tracklog.importers.wandb_log import read_records

    small = _logged(wandb_copy)["small"]
    folder = _run_folder(wandb_copy, small["id"])
    (log,) = folder.glob("run-*.wandb")
    kinds = [r.WhichOneof("record_type") for r in read_records(log)]
    assert "exit" in kinds
    data = log.read_bytes()
    # The shortest cut past the middle that still reads: the file ends between two records.
    cut = next(i for i in range(len(data) // 2, len(data)) if _ends_records(log, data[:i]))
    log.write_bytes(data[:cut])
    result = run_import("wandb", str(folder))
    assert result.exit_code == 1
    assert f"error: {log}: ends before the run's exit record" in result.output
    assert len(api.runs(include_deleted=True)) == 0


def _ends_records(log: Path, head: bytes) -> bool:
    from tracklog.importers.imported_run import ImportSourceError
    from tracklog.importers.wandb_log import read_records

    log.write_bytes(head)
    try:
        return all(r.WhichOneof("record_type") != "exit" for r in read_records(log))
    except ImportSourceError:
        return False


def test_corrupt_byte_is_refused(wandb_copy: Path, run_import: Import, api: tracklog.Api) -> None:
    small = _logged(wandb_copy)["small"]
    folder = _run_folder(wandb_copy, small["id"])
    (log,) = folder.glob("run-*.wandb")
    data = bytearray(log.read_bytes())
    data[7 + 7 + 2] ^= 0xFF  # inside the first record, after the file and chunk headers
    log.write_bytes(bytes(data))
    result = run_import("wandb", str(folder))
    assert result.exit_code == 1
    assert f"error: {log}: corrupt at byte 7 (a chunk fails its checksum)" in result.output
    assert len(api.runs(include_deleted=True)) == 0


@pytest.mark.parametrize("make", ["missing", "empty", "file", "not-a-log"])
def test_bad_folders_are_refused(
    make: str, run_import: Import, api: tracklog.Api, tmp_path: Path
) -> None:
    target = tmp_path / "src"
    if make == "empty":
        target.mkdir()
    elif make == "file":
        target.write_text("x")
    elif make == "not-a-log":
        target.mkdir()
        (target / "run-abc.wandb").write_bytes(b"PK\x03\x04 not a wandb log")
    result = run_import("wandb", str(target))
    assert result.exit_code == 1
    expected = {
        "missing": f"{target}: no such folder",
        "empty": f"{target}: not a W&B run folder",
        "file": f"{target}: not a folder",
        "not-a-log": f"{target / 'run-abc.wandb'}: not a W&B transaction log",
    }[make]
    assert f"error: {expected}" in result.output
    assert [p.name for p in api.projects()] == ["Default"]  # nothing imported


def test_a_value_nested_thousands_deep_is_refused_naming_it() -> None:
    """A hostile log: a config value nested 3,000 deep (json.loads would raise
    RecursionError, which nothing caught: the command crashed)."""
    from wandb.proto import wandb_internal_pb2 as pb

    from tracklog.importers.wandb import _State

    record = pb.Record()
    item = record.config.update.add()
    item.key = "deep"
    item.value_json = "[" * 3000 + "]" * 3000
    with pytest.raises(ValueError, match="nested too deep"):
        _State().apply(record)
