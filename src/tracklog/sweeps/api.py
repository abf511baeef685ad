"""``tracklog.sweep`` and ``tracklog.agent``, shaped as W&B's ``wandb.sweep`` and
``wandb.agent``, against the tracking URI's store: local, or a ``tracklog server``."""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from tracklog.errors import InvalidValueError, NotFoundError
from tracklog.sdk.stores import get_tracking_uri, open_store
from tracklog.store.interface import TrackingStore
from tracklog.store.sweep_config import read_config
from tracklog.store.sweep_records import SweepRecord, SweepState
from tracklog.store.tracking import Store
from tracklog.sweeps.agent import Agent

DEFAULT_PROJECT = "default"


def sweep(
    sweep: Mapping[str, Any] | str | os.PathLike[str],
    entity: str | None = None,
    project: str | None = None,
    *,
    name: str | None = None,
) -> str:
    """Create a sweep from a W&B sweep config (a dict or a YAML file) and return its id.
    ``entity`` is accepted for W&B's signature and not used."""
    sweeps = sweeps_of(open_store(get_tracking_uri(), shared=True))
    return create(read_config(sweep), project, name, sweeps).id


def create(
    config: Mapping[str, Any], project: str | None, name: str | None, sweeps: SweepState
) -> SweepRecord:
    """A new sweep of ``config`` in ``project`` (else the config's, $TRACKLOG_PROJECT or
    "default")."""
    chosen = project or config.get("project") or os.environ.get("TRACKLOG_PROJECT")
    return sweeps.create_sweep(chosen or DEFAULT_PROJECT, config, name)


def agent(
    sweep_id: str,
    function: Callable[[], Any] | None = None,
    entity: str | None = None,
    project: str | None = None,
    count: int | None = None,
) -> None:
    """Run trials of sweep ``sweep_id`` until it has no more, or ``count`` of them: call
    ``function`` for each (its ``init()`` gets the trial's config), or without one run the
    sweep's ``command``. ``entity`` is accepted for W&B's signature and not used."""
    if count is not None and (isinstance(count, bool) or not isinstance(count, int) or count < 1):
        raise InvalidValueError(f"count must be a positive integer, got {count!r}")
    if function is not None and not callable(function):
        raise InvalidValueError("function must be callable")
    uri = get_tracking_uri()
    runner(sweeps_of(open_store(uri, shared=True)), sweep_id, project, uri).run(function, count)


def runner(sweeps: SweepState, sweep_id: str, project: str | None, uri: str) -> Agent:
    """The agent of sweep ``sweep_id`` (which must be in ``project``, when given)."""
    record = sweeps.sweep(sweep_id)
    if project is not None and record.project != project:
        raise NotFoundError(f"no sweep {sweep_id!r} in project {project!r}")
    return Agent(sweeps, sweep_id, _absolute(uri))


def sweeps_of(store: TrackingStore) -> SweepState:
    """The sweeps of ``store``: a local store's, or a server's over HTTP."""
    if isinstance(store, Store):
        from tracklog.store.sweeps import SweepStore

        return SweepStore(store)
    from tracklog.client.remote import RemoteStore
    from tracklog.client.sweeps import RemoteSweeps

    assert isinstance(store, RemoteStore)  # the only other kind open_store makes
    return RemoteSweeps(store)


def _absolute(uri: str) -> str:
    """A folder URI made absolute, so a trial's subprocess finds the same store."""
    return uri if "://" in uri else str(Path(uri).resolve())
