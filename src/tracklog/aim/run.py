"""Aim's ``Run`` over a tracklog run."""

from __future__ import annotations

import os
import pickle
from collections.abc import Mapping
from contextlib import nullcontext
from typing import Any

from tracklog.aim import saved_values
from tracklog.aim.repo import Repo
from tracklog.errors import InvalidTypeError, InvalidValueError
from tracklog.sdk.fluent import init
from tracklog.sdk.stores import get_tracking_uri, using_tracking_uri

#: Aim's default seconds between two samples of system metrics.
SYSTEM_TRACKING_INTERVAL = 10


class Run:
    """Aim's ``Run``: a new tracklog run, or run ``run_hash`` continued.

    ``repo`` is a store (a folder, a database URI, a server URL or a :class:`Repo`; default:
    the one ``tracklog.init`` uses) and ``experiment`` the project. ``log_system_params``
    records the environment, git state and packages; ``capture_terminal_logs`` the console;
    ``system_tracking_interval`` samples system metrics every that many seconds (None: not).
    """

    def __init__(
        self,
        run_hash: str | None = None,
        repo: str | os.PathLike[str] | Repo | None = None,
        experiment: str | None = None,
        system_tracking_interval: float | None = SYSTEM_TRACKING_INTERVAL,
        log_system_params: bool = False,
        capture_terminal_logs: bool = True,
    ) -> None:
        uri = repo.path if isinstance(repo, Repo) else None if repo is None else os.fspath(repo)
        settings: dict[str, Any] = {
            "console": capture_terminal_logs,
            "environment": log_system_params,
            "git": log_system_params,
            "packages": log_system_params,
            "system_metrics": system_tracking_interval is not None,
        }
        if system_tracking_interval is not None:
            settings["system_interval_s"] = system_tracking_interval
        with nullcontext() if uri is None else using_tracking_uri(uri):
            self._uri = get_tracking_uri()
            self._run = init(
                project=experiment,
                id=run_hash,
                resume="allow" if run_hash is not None else None,
                settings=settings,
            )
        self._saved: dict[str, bytes] = {}  # pickles of the values saved as files here

    # -- identity -----------------------------------------------------------------------

    @property
    def hash(self) -> str:
        """The run's id."""
        return self._run.id

    @property
    def name(self) -> str:
        """The run's name; assigning renames it."""
        return self._run.name

    @name.setter
    def name(self, value: str) -> None:
        self._run.name = value

    @property
    def description(self) -> str | None:
        """The run's notes; assigning replaces them."""
        return self._run.notes

    @description.setter
    def description(self, value: str) -> None:
        self._run.notes = value

    @property
    def experiment(self) -> str:
        """The run's project (chosen with ``Run(experiment=...)``)."""
        return self._run.project

    @property
    def tags(self) -> list[str]:
        """The run's labels."""
        return list(self._run.tags)

    def add_tag(self, value: str) -> None:
        """Label the run with ``value``."""
        self._run.tags = (value,)

    def remove_tag(self, value: str) -> None:
        """Remove the label ``value`` (no error if the run does not have it)."""
        self._run.remove_tags([value])

    # -- params -------------------------------------------------------------------------

    def __setitem__(self, key: str, value: Any) -> None:
        """Store ``value`` under ``key``: JSON-like values in the config (dicts merge key by
        key with what is there), others pickled into a run file that the config references."""
        try:
            self._run.config[key] = value
            return
        except InvalidTypeError:
            data = saved_values.pickled(key, value)
        self._run.config[key] = saved_values.save(self._run, key, data, value)
        self._saved[key] = data

    def __getitem__(self, key: str) -> Any:
        """The value stored under ``key`` (KeyError if none); a value saved as a file is
        unpickled from it."""
        if key in self._saved:
            return pickle.loads(self._saved[key])
        value = self._run.config[key]
        if saved_values.is_reference(value):
            return saved_values.load(self._uri, self.hash, value)
        return value

    def __contains__(self, key: object) -> bool:
        return key in self._run.config

    # -- sequences ----------------------------------------------------------------------

    def track(
        self,
        value: Any,
        name: str | None = None,
        step: int | None = None,
        epoch: int | None = None,
        *,
        context: Mapping[str, Any] | None = None,
    ) -> None:
        """Record a number or an Aim object (:class:`~tracklog.aim.Image`, ``Distribution``,
        ...) as ``name`` at ``step`` in ``context``; a dict of values without ``name`` records
        each under its key."""
        if isinstance(value, Mapping) and name is None:
            for key, item in value.items():
                self._run.track(item, name=key, step=step, epoch=epoch, context=context)
            return
        if name is None:
            raise InvalidValueError("track: name is required for a single value")
        self._run.track(value, name=name, step=step, epoch=epoch, context=context)

    # -- the end ------------------------------------------------------------------------

    def close(self) -> None:
        """Write what is buffered and mark the run finished."""
        self._run.finish()

    def __repr__(self) -> str:
        return f"<tracklog.aim Run {self.hash} in {self.experiment!r}>"
