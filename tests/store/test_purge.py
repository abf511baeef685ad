"""Purging runs from the trash for good (SQLite and PostgreSQL)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from sqlalchemy import func, select

from tracklog.errors import InvalidValueError, NotFoundError
from tracklog.store import schema
from tracklog.store.records import SeriesPoints
from tracklog.store.tracking import Store

# Every table holding rows owned by a run (metric_chunks hang off metric_series).
_RUN_TABLES = (
    schema.params,
    schema.config_changes,
    schema.run_tags,
    schema.run_labels,
    schema.metric_series,
    schema.run_summary,
    schema.run_files,
    schema.applied_batches,
)


def _full_run(store: Store, name: str) -> str:
    """A run with a row in every table a run owns, and a file."""
    run = store.create_run("p", name=name, config={"lr": 0.1, "opt": {"name": "adam"}})
    store.set_config(run.id, {"lr": 0.2})
    store.set_tags(run.id, {"team": "a"})
    store.add_labels(run.id, ["base"])
    steps = np.arange(10, dtype=np.int64)
    store.append_metrics(run.id, [SeriesPoints("loss", "", steps, steps * 0.5, steps)], "b1")
    store.set_summary(run.id, {"best": 1.0})
    store.write_file(run.id, "model/weights.bin", [b"x" * 100])
    store.finish_run(run.id, "FINISHED")
    return run.id


def _owned_rows(store: Store, run_id: str) -> dict[str, int]:
    with store.engine.connect() as conn:
        counts = {
            t.name: conn.execute(select(func.count()).where(t.c.run_id == run_id)).scalar_one()
            for t in _RUN_TABLES
        }
        series_ids = select(schema.metric_series.c.id).where(
            schema.metric_series.c.run_id == run_id
        )
        chunks = schema.metric_chunks
        counts["metric_chunks"] = conn.execute(
            select(func.count()).where(chunks.c.series_id.in_(series_ids))
        ).scalar_one()
        return counts


def _folder(store: Store, run_id: str) -> Path:
    return Path(store.get_run(run_id).artifact_uri)


def test_purge_removes_rows_and_files_of_deleted_runs_only(store: Store) -> None:
    gone, kept = _full_run(store, "gone"), _full_run(store, "kept")
    gone_folder, kept_folder = _folder(store, gone), _folder(store, kept)
    before = _owned_rows(store, gone)
    assert all(n > 0 for n in before.values()), before  # the test covers every table
    store.delete_run(gone)

    purged = store.purge_deleted_runs()

    assert [r.id for r in purged] == [gone] and purged[0].name == "gone"
    assert not store.has_run(gone)
    assert all(n == 0 for n in _owned_rows(store, gone).values())
    assert not gone_folder.exists()
    # The active run is untouched: rows, files, config.
    assert _owned_rows(store, kept) == before
    assert (kept_folder / "model" / "weights.bin").read_bytes() == b"x" * 100
    assert store.get_run(kept).config == {"lr": 0.2, "opt": {"name": "adam"}}
    assert store.purge_deleted_runs() == []


def test_dry_run_changes_nothing(store: Store) -> None:
    run_id = _full_run(store, "gone")
    store.delete_run(run_id)
    before = _owned_rows(store, run_id)
    would = store.purge_deleted_runs(dry_run=True)
    assert [r.id for r in would] == [run_id]
    assert store.get_run(run_id).lifecycle_stage == "deleted"
    assert _owned_rows(store, run_id) == before
    assert (_folder(store, run_id) / "model" / "weights.bin").exists()


def test_older_than_keeps_recently_deleted_runs(store: Store) -> None:
    old, recent = _full_run(store, "old"), _full_run(store, "recent")
    store.delete_run(old)
    store.delete_run(recent)
    day = 86_400_000
    with store.engine.begin() as conn:  # deleted ten days ago
        conn.execute(
            schema.runs.update()
            .where(schema.runs.c.id == old)
            .values(deleted_at=schema.runs.c.deleted_at - 10 * day)
        )
    assert [r.id for r in store.purge_deleted_runs(7 * day, dry_run=True)] == [old]
    assert [r.id for r in store.purge_deleted_runs(7 * day)] == [old]
    assert store.get_run(recent).lifecycle_stage == "deleted"
    assert [r.id for r in store.purge_deleted_runs(0)] == [recent]


def test_restored_and_unlisted_runs_are_kept(store: Store) -> None:
    a, b = _full_run(store, "a"), _full_run(store, "b")
    store.delete_run(a)
    store.delete_run(b)
    store.restore_run(a)
    assert [r.id for r in store.purge_deleted_runs(run_ids=[a])] == []  # a is not in the trash
    assert store.get_run(a).lifecycle_stage == "active"
    assert store.get_run(b).lifecycle_stage == "deleted"
    assert [r.id for r in store.purge_deleted_runs(run_ids=[b])] == [b]
    with pytest.raises(NotFoundError):
        store.get_run(b)


def test_purge_without_a_files_folder(store: Store) -> None:
    run = store.create_run("p", name="nofiles")
    store.delete_run(run.id)
    assert not Path(run.artifact_uri).exists()
    assert [r.id for r in store.purge_deleted_runs()] == [run.id]


def test_bad_age_is_refused(store: Store) -> None:
    with pytest.raises(InvalidValueError, match="older_than_ms"):
        store.purge_deleted_runs(-1)
