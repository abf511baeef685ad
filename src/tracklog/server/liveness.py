"""Marking crashed runs on the server: at start and every :data:`SWEEP_SECONDS` after.

A local store marks runs whose process is gone whenever it is opened; a server's clients
cannot (their ``RemoteStore.mark_crashed_runs`` does nothing), so each server process does it
for them, with the store's own rule: a run on this host whose process is gone, or any run
whose heartbeat is older than ``$TRACKLOG_HEARTBEAT_TIMEOUT``. Several workers or servers
sweeping the same store is harmless: marking is a conditional update.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

from starlette.concurrency import run_in_threadpool

from tracklog.store.tracking import Store

SWEEP_SECONDS = 60.0
_log = logging.getLogger("tracklog.server")


def start_sweeper(store: Store) -> asyncio.Task[None]:
    """Start sweeping in the background; cancel the task to stop it."""
    return asyncio.create_task(_sweep(store), name="tracklog-crashed-runs")


async def _sweep(store: Store) -> None:
    while True:
        try:
            crashed = await run_in_threadpool(store.mark_crashed_runs)
            if crashed:
                _log.info("marked %d crashed runs as FAILED", len(crashed))
        except Exception as exc:  # an unreachable database must not end the sweeps
            _log.warning("marking crashed runs failed: %s", exc)
        await asyncio.sleep(SWEEP_SECONDS)


async def stop_sweeper(task: asyncio.Task[None]) -> None:
    """Stop the sweeps and wait for the task to end."""
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task
