"""Metric appends of concurrent requests to one run, written in one transaction.

With ``synchronous=False`` the mlflow client sends each ``log_metrics`` call as its own small
``log-batch`` request from a pool of threads. Written one by one, each request pays a whole
write transaction (the run's row, each series' tail chunk decoded and re-encoded, the
summaries) while the others queue for the store's write lock. Here the requests that arrive
while a write is under way wait in a group; the first of the group writes all of their points
at once when its turn comes (group commit). Each request still answers only after its own
points are committed, and points keep their arrival order.
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Sequence
from dataclasses import dataclass, field

from tracklog.store.records import SeriesPoints
from tracklog.store.tracking import Store


@dataclass
class _Request:
    batch: Sequence[SeriesPoints]
    done: threading.Event = field(default_factory=threading.Event)
    error: BaseException | None = None


class GroupedAppends:
    """Appends metric points to runs, grouping the requests that wait for the same turn."""

    def __init__(self) -> None:
        self._guard = threading.Lock()  # guards _open
        self._turn = threading.Lock()  # held by the group that is writing
        self._open: dict[str, list[_Request]] = {}  # run id -> the group still taking requests

    def append(self, store: Store, run_id: str, batch: Sequence[SeriesPoints]) -> None:
        """Append ``batch`` to the run's series; returns once it is committed, raises what
        appending it alone would raise."""
        me = _Request(batch)
        with self._guard:
            group = self._open.get(run_id)
            leader = group is None
            if group is None:
                group = self._open[run_id] = []
            group.append(me)
        if leader:
            with self._turn:
                with self._guard:
                    del self._open[run_id]  # later requests start the next group
                _write(store, run_id, group)
        else:
            me.done.wait()
        if me.error is not None:
            raise me.error


def _write(store: Store, run_id: str, group: list[_Request]) -> None:
    try:
        try:
            store.append_metrics(run_id, [p for r in group for p in r.batch])
        except Exception as exc:
            if len(group) == 1:
                group[0].error = exc
                return
            # One request's points spoil the group's transaction: write each request alone,
            # so each gets its own answer and the others are kept.
            for r in group:
                try:
                    store.append_metrics(run_id, r.batch)
                except Exception as one:
                    r.error = one
    finally:
        for r in group:
            r.done.set()


_BY_STORE: weakref.WeakKeyDictionary[Store, GroupedAppends] = weakref.WeakKeyDictionary()
_BY_STORE_GUARD = threading.Lock()


def for_store(store: Store) -> GroupedAppends:
    """The one grouping of ``store``'s appends in this process."""
    with _BY_STORE_GUARD:
        return _BY_STORE.setdefault(store, GroupedAppends())
