"""Offline mode writes only a journal; ``sync`` applies it exactly once."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import tracklog
from tracklog.errors import StoreError
from tracklog.sdk.journal import JOURNAL_FILE, read_records
from tracklog.sdk.sync import find_journals, sync_folder
from tracklog.store.tracking import Store


def _offline_run(tmp_path: Path) -> str:
    (tmp_path / "model.txt").write_text("weights")
    with tracklog.init(project="off", mode="offline", config={"lr": 0.1}, tags=["o"]) as run:
        for i in range(500):
            run.log({"loss": 1 / (i + 1)})
        run.track(0.5, name="acc", context={"subset": "val"})
        run.summary["best"] = 1.0
        run.log_artifact(tmp_path / "model.txt")
    return run.id


def test_offline_writes_no_store_and_sync_applies_once(local_store: str, tmp_path: Path) -> None:
    run_id = _offline_run(tmp_path)
    folder = Path(local_store) / "offline"
    assert [p.name for p in find_journals(Path(local_store))] == [run_id]
    store = Store(local_store)
    assert not store.has_run(run_id)
    result = sync_folder(store, folder / run_id)
    assert result.run_id == run_id and result.applied > 0
    assert sync_folder(store, folder / run_id).applied == 0
    r = tracklog.Api().run(run_id)
    assert r.status == "FINISHED" and r.config == {"lr": 0.1} and r.labels == ["o"]
    assert len(r.series("loss")) == 500 and r.summary["best"] == 1.0
    assert r.series("acc", context={"subset": "val"}).values.tolist() == [0.5]
    assert r.files() == ["model.txt"]


def test_replaying_the_whole_journal_again_adds_nothing(local_store: str, tmp_path: Path) -> None:
    run_id = _offline_run(tmp_path)
    folder = Path(local_store) / "offline" / run_id
    store = Store(local_store)
    sync_folder(store, folder)
    (folder / "synced-offset").unlink()
    sync_folder(store, folder)
    assert len(tracklog.Api().run(run_id).series("loss")) == 500


def test_torn_tail_is_ignored_and_corrupt_middle_is_named(local_store: str, tmp_path: Path) -> None:
    run_id = _offline_run(tmp_path)
    path = Path(local_store) / "offline" / run_id / JOURNAL_FILE
    records = list(read_records(path))
    data = path.read_bytes()
    path.write_bytes(data + data[:10])  # a torn record at the end, as after a kill
    assert len(list(read_records(path))) == len(records)
    broken = bytearray(data)
    broken[records[0].end_offset + 20] ^= 0xFF
    path.write_bytes(bytes(broken))
    with pytest.raises(StoreError, match=f"{JOURNAL_FILE}.*byte {records[0].end_offset}"):
        list(read_records(path))


def test_offline_resume_must_is_checked_at_sync(local_store: str) -> None:
    with tracklog.init(project="off", id="notthere", resume="must", mode="offline") as run:
        run.log({"a": np.float64(1.0)})
    with pytest.raises(tracklog.NotFoundError, match="notthere"):
        sync_folder(Store(local_store), Path(local_store) / "offline" / "notthere")


OFFLINE_FULL_DISK = """
import resource, signal, sys
from pathlib import Path
import tracklog

signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
run = tracklog.init(project="off", id="fulldisk", mode="offline")
for i in range(10):
    run.log({"a": float(i)})
run._writer.flush()
journal = Path(sys.argv[1]) / "offline" / "fulldisk" / "journal.bin"
limit = journal.stat().st_size + 100
resource.setrlimit(resource.RLIMIT_FSIZE, (limit, resource.RLIM_INFINITY))
for i in range(10, 2000):
    run.log({"a": float(i)})
run._writer.flush(raise_errors=False)  # the journal is full: the write fails...
assert run._writer.error is not None and run._writer.pending, "the full disk went unnoticed"
resource.setrlimit(resource.RLIMIT_FSIZE, (resource.RLIM_INFINITY, resource.RLIM_INFINITY))
for i in range(2000, 2010):
    run.log({"a": float(i)})
run.finish()
"""


def test_failed_journal_writes_leave_no_torn_record(local_store: str) -> None:
    import os
    import subprocess
    import sys

    done = subprocess.run(
        [sys.executable, "-c", OFFLINE_FULL_DISK, local_store],
        capture_output=True,
        env=os.environ.copy(),
        timeout=120,
    )
    assert done.returncode == 0, done.stderr.decode()
    sync_folder(Store(local_store), Path(local_store) / "offline" / "fulldisk")
    values = tracklog.Api().run("fulldisk").series("a").values
    assert values.tolist() == [float(i) for i in range(2010)]


def _ms_after(ms: int) -> int:
    """The clock's first reading past ``ms`` (waits for the clock, not for a set time)."""
    import time

    while (now := time.time_ns() // 1_000_000) <= ms:
        time.sleep(0.001)
    return now


def test_offline_runs_keep_their_own_start_and_end_times(local_store: str) -> None:
    import time

    started = time.time_ns() // 1_000_000
    with tracklog.init(project="off", id="times", mode="offline") as run:
        during = _ms_after(time.time_ns() // 1_000_000)  # after the start, before the end
    ended = time.time_ns() // 1_000_000
    _ms_after(ended)  # the sync's own clock readings are all later than the run's
    sync_folder(Store(local_store), Path(local_store) / "offline" / run.id)
    r = tracklog.Api().run("times")
    assert started <= r.start_time < during
    assert r.end_time is not None and during <= r.end_time <= ended


def test_a_rename_and_removed_labels_are_journaled_and_synced(local_store: str) -> None:
    with tracklog.init(project="off", mode="offline", name="first", tags=["a", "b"]) as run:
        run.name = "second"
        run.remove_tags(["a", "never-there"])
        assert (run.name, run.tags) == ("second", ("b",))
    store = Store(local_store)
    sync_folder(store, Path(local_store) / "offline" / run.id)
    r = tracklog.Api().run(run.id)
    assert (r.name, r.labels) == ("second", ["b"])
    with tracklog.init(project="off", mode="offline") as bad:
        with pytest.raises(tracklog.InvalidValueError, match="run name"):
            bad.name = ""
        assert bad.name != ""
