"""``tracklog.init()`` into a project in the trash is refused at once and leaves nothing; an
offline run's journal into one is refused at sync and kept, to sync once it is restored."""

from __future__ import annotations

from pathlib import Path

import pytest

import tracklog
from tracklog.sdk import current
from tracklog.sdk.sync import sync_folder
from tracklog.store.mlflow import MlflowStore
from tracklog.store.tracking import Store


def test_init_into_a_project_in_the_trash_is_refused(local_store: str) -> None:
    with tracklog.init(project="old", id="kept0001") as run:
        run.log({"x": 1.0})
    store = Store(local_store)
    try:
        MlflowStore(store).experiments.set_lifecycle(store.project_id("old"), "deleted")
        store.restore_run("kept0001")  # the run alone comes back; its project stays trashed
        with pytest.raises(tracklog.ProjectDeletedError, match="project 'old' is in the trash"):
            tracklog.init(project="old")
        with pytest.raises(tracklog.ProjectDeletedError, match="'old'"):
            tracklog.init(project="old", id="kept0001", resume="must")
        assert not current.runs
        assert [r.id for r in store.search_runs(["old"], lifecycle="all")] == ["kept0001"]
        assert store.get_run("kept0001").status == "FINISHED"
    finally:
        store.close()


def test_sync_into_a_project_in_the_trash_keeps_the_journal(local_store: str) -> None:
    tracklog.init(project="old").finish()
    with tracklog.init(project="old", mode="offline") as offline:
        offline.log({"x": 1.0})
    folder = Path(local_store) / "offline" / offline.id
    store = Store(local_store)
    try:
        experiments = MlflowStore(store).experiments
        experiments.set_lifecycle(store.project_id("old"), "deleted")
        with pytest.raises(tracklog.ProjectDeletedError, match="'old'"):
            sync_folder(store, folder)
        assert not store.has_run(offline.id)
        experiments.set_lifecycle(store.project_id("old"), "active")
        assert sync_folder(store, folder).applied > 0  # nothing was skipped meanwhile
        assert store.get_run(offline.id).summary["x"] == 1.0
    finally:
        store.close()
