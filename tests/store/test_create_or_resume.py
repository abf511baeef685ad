"""A recorded ``create_run`` (``tracklog sync``, ``POST /api/v1/ingest``) creates the run or
resumes it, also when another writer creates the same id between the lookup and the insert."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from tracklog.store import calls
from tracklog.store.tracking import Store
from tracklog.store.wire import Record
from writers_paused import paused_writers


def _create(run_id: str) -> Record:
    return Record("create_run", {"project": "race", "run_id": run_id, "config": {"lr": 0.1}}, 0)


def test_two_writers_creating_one_new_run_id_both_resume_it(store_uri: str) -> None:
    watcher = Store(store_uri)
    watcher.get_or_create_project("race")
    # One store per writer, as in two server workers: each has its own connections and lock.
    writers = [Store(store_uri) for _ in range(2)]
    with ThreadPoolExecutor(2) as pool:
        # Both look the id up (no such run) and then wait to insert it; one insert wins.
        with paused_writers(watcher, "runs") as wait_for:
            done = [pool.submit(calls.apply, s, _create("same-id")) for s in writers]
            wait_for(2)
        for future in done:
            future.result()  # neither fails with "a run with id 'same-id' exists already"
    run = watcher.get_run("same-id")
    assert run.status == "RUNNING" and run.config == {"lr": 0.1}
    assert [r.id for r in watcher.search_runs(["race"])] == ["same-id"]
    for store in (*writers, watcher):
        store.close()
