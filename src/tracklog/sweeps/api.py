"""``tracklog.sweep`` and ``tracklog.agent``, shaped as W&B's ``wandb.sweep`` and
``wandb.agent``, against the local store (a folder, SQLite or PostgreSQL URI)."""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from tracklog.errors import InvalidValueError, NotFoundError
from tracklog.sdk.stores import get_tracking_uri, open_store
from tracklog.store.sweep_records import SweepRecord
from tracklog.store.sweeps import SweepStore
from tracklog.store.tracking import Store
from tracklog.sweeps.agent import Agent
from tracklog.sweeps.config import SweepConfig, load

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
    return create(load(sweep), project, name, local_sweeps(get_tracking_uri())).id


def create(
    config: SweepConfig, project: str | None, name: str | None, sweeps: SweepStore
) -> SweepRecord:
    """A new sweep of a checked config in ``project`` (else the config's, $TRACKLOG_PROJECT
    or "default")."""
    chosen = project or config.raw.get("project") or os.environ.get("TRACKLOG_PROJECT")
    return sweeps.create_sweep(
        chosen or DEFAULT_PROJECT,
        dict(config.raw),
        config.method,
        name=name or config.name,
        trial_limit=config.trial_limit(),
    )


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
    sweeps = local_sweeps(uri)
    runner(sweeps, sweep_id, project, uri).run(function, count)


def runner(sweeps: SweepStore, sweep_id: str, project: str | None, uri: str) -> Agent:
    """The agent of sweep ``sweep_id`` (which must be in ``project``, when given)."""
    record = sweeps.sweep(sweep_id)
    if project is not None and record.project != project:
        raise NotFoundError(f"no sweep {sweep_id!r} in project {project!r}")
    return Agent(sweeps, sweep_id, _absolute(uri))


def local_sweeps(uri: str) -> SweepStore:
    """The sweeps of the store ``uri`` (shared with this process's runs)."""
    store = open_store(uri, shared=True)
    if not isinstance(store, Store):
        raise InvalidValueError(
            "sweeps through a tracklog server are not built yet: use a folder, SQLite or "
            "PostgreSQL store URI"
        )
    return SweepStore(store)


def _absolute(uri: str) -> str:
    """A folder URI made absolute, so a trial's subprocess finds the same store."""
    return uri if "://" in uri else str(Path(uri).resolve())
