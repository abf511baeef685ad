"""Writes that merge into what a run holds (its metadata, its config) keep every concurrent
writer's keys: the read, the merge and the write are one transaction, and on PostgreSQL the
run's row is locked before it is read (two server workers, or a worker and a script)."""

from __future__ import annotations

import threading
from collections.abc import Callable

import pytest

from tracklog.store.tracking import Store

MERGES = 60  # per writer; without the lock, a few dozen overlapping merges lose some keys


def _merge_concurrently(store_uri: str, run_id: str, merge: Callable[[Store, str], None]) -> None:
    """Two writers, each with its own store (its own connections, as two processes have),
    each merging its own keys ``MERGES`` times at once."""
    stores = [Store(store_uri), Store(store_uri)]
    start = threading.Barrier(len(stores))
    failures: list[BaseException] = []

    def writer(store: Store, name: str) -> None:
        try:
            start.wait()
            for i in range(MERGES):
                merge(store, f"{name}{i}")
        except BaseException as exc:  # reported by the test below
            failures.append(exc)

    threads = [
        threading.Thread(target=writer, args=(s, name))
        for s, name in zip(stores, "ab", strict=True)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for s in stores:
        s.close()
    assert not failures, failures


def _expected() -> set[str]:
    return {f"{name}{i}" for name in "ab" for i in range(MERGES)}


def test_concurrent_metadata_merges_keep_every_key(store: Store, store_uri: str) -> None:
    run = store.create_run("p")
    store.update_run(run.id, metadata={"before": 1})

    _merge_concurrently(
        store_uri, run.id, lambda s, key: s.update_run(run.id, metadata={key: True})
    )
    assert set(store.get_run(run.id).metadata) == _expected() | {"before"}


@pytest.mark.parametrize("journaled", [False, True], ids=["plain", "with-change-ids"])
def test_concurrent_config_merges_keep_every_key(
    store: Store, store_uri: str, journaled: bool
) -> None:
    """Journaled calls claim their change id (a row referring to the run) before the merge;
    two of them at once must neither lose a key nor deadlock on the run's row."""
    run = store.create_run("p", config={"before": 1})

    def merge(s: Store, key: str) -> None:
        s.set_config(run.id, {key: 1}, change_id=key if journaled else None)

    _merge_concurrently(store_uri, run.id, merge)
    found = store.get_run(run.id)
    assert set(found.config) == _expected() | {"before"}
    # The flattened view (what filters read) agrees with the document.
    hits = store.search_run_ids(["p"], filter="params.a0 = '1' and params.b59 = '1'")
    assert hits == [run.id]


def test_metadata_merge_of_a_missing_run_is_not_found(store: Store) -> None:
    from tracklog.errors import NotFoundError

    with pytest.raises(NotFoundError, match="nope"):
        store.update_run("nope", metadata={"k": 1})
