"""A server's upkeep, at start and every :data:`SWEEP_SECONDS` after: marking crashed runs and
removing abandoned multipart uploads.

A local store marks runs whose process is gone whenever it is opened; a server's clients
cannot (their ``RemoteStore.mark_crashed_runs`` does nothing), so each server process does it
for them, with the store's own rule: a run on this host whose process is gone, or any run
whose heartbeat is older than ``$TRACKLOG_HEARTBEAT_TIMEOUT``. An MLflow multipart upload that
was neither completed nor aborted keeps its parts in the staging folder until it has been
untouched for ``--multipart-upload-expiry`` seconds. Several workers or servers doing this on
the same store is harmless: marking is a conditional update, removing a removed upload nothing.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

from starlette.concurrency import run_in_threadpool

from tracklog.store.mlflow import MlflowStore
from tracklog.store.tracking import Store

SWEEP_SECONDS = 60.0
_log = logging.getLogger("tracklog.server")


async def sweep_once(store: Store, upload_expiry: float) -> None:
    """One round of upkeep; a failure is logged, never raised (the next round tries again)."""
    try:
        crashed = await run_in_threadpool(store.mark_crashed_runs)
        if crashed:
            _log.info("marked %d crashed runs as FAILED", len(crashed))
    except Exception as exc:  # an unreachable database must not end the sweeps
        _log.warning("marking crashed runs failed: %s", exc)
    try:
        uploads = MlflowStore(store).uploads
        expired = await run_in_threadpool(uploads.expire, upload_expiry)
        if expired:
            _log.info("removed %d multipart uploads untouched for %g s", expired, upload_expiry)
    except Exception as exc:  # nor an unreachable artifact store
        _log.warning("removing stale multipart uploads failed: %s", exc)


async def start_sweeper(store: Store, upload_expiry: float) -> asyncio.Task[None]:
    """Do a round of upkeep now (a server starts clean), then one every :data:`SWEEP_SECONDS`
    in the background; cancel the task to stop it."""
    await sweep_once(store, upload_expiry)
    return asyncio.create_task(_sweep(store, upload_expiry), name="tracklog-upkeep")


async def _sweep(store: Store, upload_expiry: float) -> None:
    while True:
        await asyncio.sleep(SWEEP_SECONDS)
        await sweep_once(store, upload_expiry)


async def stop_sweeper(task: asyncio.Task[None]) -> None:
    """Stop the sweeps and wait for the task to end."""
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task
