"""The rules of creating a run, in one object every way of creating one goes through.

:meth:`Store.create_run` (the local SDK, the server's routes and journal replay all reach it)
and the import of an exported run (:mod:`tracklog.store.transfer`) both build a
:class:`NewRun` with :meth:`NewRun.checked`, so a run cannot enter the store by one path with
a value another path refuses. This module imports no database code.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from tracklog.errors import InvalidValueError
from tracklog.store import validation
from tracklog.store.params import Param, flatten, param

PID_BITS = 32  # the runs.pid column


@dataclass(frozen=True)
class NewRun:
    """A new run's fields, each checked (and cleaned) by the store's rules."""

    project: str
    run_id: str
    name: str
    user: str | None
    host: str | None
    group: str | None
    job_type: str | None
    notes: str | None
    parent_run_id: str | None
    start_time: int | None
    pid: int | None
    pid_started: int | None
    config: dict[str, Any]
    params: tuple[Param, ...]  # the config's rows in the params table, checked
    labels: tuple[str, ...]

    @classmethod
    def checked(
        cls,
        project: Any,
        *,
        run_id: Any = None,
        name: Any = None,
        user: Any = None,
        host: Any = None,
        group: Any = None,
        job_type: Any = None,
        notes: Any = None,
        parent_run_id: Any = None,
        start_time: Any = None,
        pid: Any = None,
        pid_started: Any = None,
        config: Mapping[str, Any] | None = None,
        labels: Sequence[Any] | None = None,
    ) -> NewRun:
        """Check every field; raise an error naming the first one that breaks a rule.

        A missing ``run_id`` is a fresh one, a missing ``name`` is made from the id."""
        run_id = validation.run_id(run_id) if run_id is not None else uuid.uuid4().hex
        validation.run_fields(group, job_type, notes)
        for what, value in (("user", user), ("host", host)):
            if value is not None:
                validation.bounded(value, what)
        if config is not None and not isinstance(config, Mapping):
            raise InvalidValueError(f"config must be a dict, got {type(config).__name__}")
        clean_config = validation.json_value(dict(config or {}), "config")
        return cls(
            project=validation.name(project, "project name"),
            run_id=run_id,
            name=validation.name(name, "run name") if name is not None else f"run-{run_id[:8]}",
            user=user,
            host=host,
            group=group,
            job_type=job_type,
            notes=notes,
            parent_run_id=validation.run_id(parent_run_id) if parent_run_id is not None else None,
            start_time=validation.integer(start_time, "start_time"),
            pid=validation.integer(pid, "pid", PID_BITS),
            pid_started=validation.integer(pid_started, "pid_started"),
            config=clean_config,
            params=tuple(param(k, v) for k, v in flatten(clean_config).items()),
            labels=tuple(dict.fromkeys(validation.key(x, "tag") for x in labels or ())),
        )
