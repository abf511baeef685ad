"""Holding a store's writers back at a known point, to replay a race deterministically.

Inside :func:`paused_writers` other processes and threads can read the store, but a write to
``table`` waits until the block ends; the function it yields returns once a number of writers
wait (so each has done whatever it read first). The test's own thread may write
meanwhile: on SQLite it holds the writers' lock itself (re-entrant within a thread), on
PostgreSQL the lock is a table lock held by another connection, so it may write any other
table (``SHARE`` mode lets foreign-key checks against ``table`` through).
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from sqlalchemy import text

from tracklog.store.engine import LOCK_SUFFIX, _write_lock
from tracklog.store.tracking import Store

DEADLINE_S = 60.0  # a writer that never comes is a failure, not a hang


@contextmanager
def paused_writers(store: Store, table: str) -> Iterator[Callable[[int], None]]:
    """Hold back writes to ``table`` of ``store`` (every write on SQLite) until the block ends;
    yield a function that waits until a given number of writers wait."""
    if store.engine.dialect.name == "sqlite":
        path = store.engine.url.database
        assert path, "a file database"
        with _write_lock(store.engine):
            yield lambda n: _wait_for(n, lambda: _flock_waiters(path + LOCK_SUFFIX))
        return
    with store.engine.connect() as conn, conn.begin():
        conn.execute(text(f"LOCK TABLE {table} IN SHARE MODE"))

        def blocked() -> int:
            with store.engine.connect() as probe:
                query = "SELECT count(*) FROM pg_locks WHERE NOT granted"
                return int(probe.execute(text(query)).scalar_one())

        yield lambda n: _wait_for(n, blocked)


def _flock_waiters(path: str) -> int:
    """Processes waiting for the ``flock`` on ``path`` (Linux lists them in /proc/locks)."""
    inode = f":{os.stat(path).st_ino} "
    with open("/proc/locks") as locks:
        return sum(1 for line in locks if "->" in line and inode in line)


def _wait_for(count: int, current: Callable[[], int]) -> None:
    deadline = time.monotonic() + DEADLINE_S
    while (now := current()) < count:
        assert time.monotonic() < deadline, f"{now} of {count} writers came to wait"
        time.sleep(0.02)
