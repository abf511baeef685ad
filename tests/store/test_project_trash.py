"""A write into a project needs it out of the trash: new, resumed and imported runs, checked
in the write's own transaction, on SQLite and PostgreSQL."""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text, update

from tracklog.errors import ProjectDeletedError
from tracklog.store import schema
from tracklog.store.mlflow import MlflowStore
from tracklog.store.tracking import Store
from tracklog.store.transfer import export_runs, import_runs


def _trash(store: Store, name: str) -> int:
    pid = store.project_id(name)
    MlflowStore(store).experiments.set_lifecycle(pid, "deleted")
    return pid


def _run_ids(store: Store, project: str) -> set[str]:
    return {r.id for r in store.search_runs([project], lifecycle="all")}


def test_no_new_run_in_a_project_in_the_trash(store: Store) -> None:
    kept = store.create_run("old")
    pid = _trash(store, "old")
    with pytest.raises(ProjectDeletedError, match="project 'old' is in the trash") as refused:
        store.create_run("old", name="late")
    assert refused.value.project_id == pid
    assert _run_ids(store, "old") == {kept.id}
    MlflowStore(store).experiments.set_lifecycle(pid, "active")
    assert store.create_run("old").project == "old"


def test_no_resume_in_a_project_in_the_trash(store: Store) -> None:
    run = store.create_run("old")
    store.finish_run(run.id, "FINISHED")
    _trash(store, "old")
    store.restore_run(run.id)  # the run alone comes back; its project stays in the trash
    with pytest.raises(ProjectDeletedError, match="'old'"):
        store.resume_run(run.id)
    assert store.get_run(run.id).status == "FINISHED"


def test_no_import_into_a_project_in_the_trash(store: Store, tmp_path: Path) -> None:
    # Folders import in id order: "live"'s first, so only a check before any write keeps it out.
    live = store.create_run("live", run_id="0" * 32)
    old = store.create_run("old", run_id="f" * 32)
    for run in (live, old):
        store.finish_run(run.id, "FINISHED")
    export_runs(store, [live.id, old.id], tmp_path / "out")
    _trash(store, "old")
    with pytest.raises(ProjectDeletedError, match="'old'"):
        import_runs(store, tmp_path / "out", new_id=True)
    assert _run_ids(store, "live") == {live.id} and _run_ids(store, "old") == {old.id}


@pytest.mark.parametrize("store_uri", ["postgresql"], indirect=True)
def test_a_project_trashed_meanwhile_gets_no_run(store: Store) -> None:
    """A run created while another transaction moves its project to the trash waits for it
    and is refused: the rule is checked inside create_run's transaction, on the locked row."""
    store.create_run("race")
    pid = store.project_id("race")
    outcome: list[Any] = []

    def create() -> None:
        try:
            outcome.append(store.create_run("race", name="late"))
        except Exception as exc:
            outcome.append(exc)

    creator = threading.Thread(target=create)
    e = schema.experiments
    with store.engine.connect() as trasher, trasher.begin():
        trasher.execute(update(e).where(e.c.id == pid).values(lifecycle_stage="deleted"))
        creator.start()
        # Commit once the creator waits for this transaction's lock (or has finished
        # without waiting, which is the bug this test catches).
        with store.engine.connect() as watcher:
            waiting = text(
                "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
                "AND datname = current_database()"
            )
            deadline = time.monotonic() + 60  # a bound only against a hang
            while creator.is_alive() and time.monotonic() < deadline:
                if watcher.execute(waiting).scalar():
                    break
                creator.join(0.01)
                watcher.rollback()
    creator.join(60)
    assert len(outcome) == 1 and isinstance(outcome[0], ProjectDeletedError), outcome
