"""Read W&B offline run folders (``wandb/offline-run-*``) from their ``run-<id>.wandb`` logs.

The run record gives the name, id, project, group, job type, notes, tags and start time; config
and summary records are applied in order; every history row's numbers become metric points at
its ``_step`` and ``_timestamp``; the exit record gives the outcome; the files in the folder's
``files/`` become the run's files.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from tracklog.errors import NotFoundError
from tracklog.importers.imported_run import (
    ImportedRun,
    ImportSourceError,
    Origin,
    SourceRun,
    require,
)
from tracklog.importers.wandb_log import read_records
from tracklog.store import json_input
from tracklog.store.records import SeriesPoints

DEFAULT_PROJECT = "uncategorized"  # W&B's project for runs started without one


def run_folders(folder: Path) -> list[Path]:
    """The run folders in ``folder``: itself if it holds a ``run-*.wandb`` log, else its
    subfolders that do (``latest-run``, a link to one of them, counts once)."""
    folder = Path(folder)
    if not folder.exists():
        raise NotFoundError(f"{folder}: no such folder")
    if not folder.is_dir():
        raise ImportSourceError(f"{folder}: not a folder; give a W&B run folder or wandb/ folder")
    if list(folder.glob("run-*.wandb")):
        return [folder]
    found: dict[Path, Path] = {}
    for sub in sorted(folder.iterdir(), key=lambda p: (p.is_symlink(), p.name)):
        if sub.is_dir() and list(sub.glob("run-*.wandb")):
            found.setdefault(sub.resolve(), sub)
    if not found:
        raise ImportSourceError(
            f"{folder}: not a W&B run folder (no run-*.wandb inside, nor in its subfolders)"
        )
    return sorted(found.values())


def read_runs(folder: Path, project: str | None = None) -> Iterator[SourceRun]:
    """Each run in ``folder`` (see :func:`run_folders`, checked at once), read in full when
    the iterator reaches it (see :func:`read_run`): its project, part of its identity, is
    known only from its log."""
    require("wandb.proto.wandb_internal_pb2", "wandb", "W&B runs")
    return (_listed(read_run(f, project)) for f in run_folders(folder))


def _listed(run: ImportedRun) -> SourceRun:
    return SourceRun(run.origin, run.origin.fields["run_id"], run.name, lambda: run)


def read_run(folder: Path, project: str | None = None) -> ImportedRun:
    """Read one run folder in full. A log without its exit record (a truncated file, or a
    run that crashed or is still running) is refused: it may be cut anywhere."""
    logs = sorted(folder.glob("run-*.wandb"))
    if len(logs) != 1:
        names = ", ".join(p.name for p in logs)
        raise ImportSourceError(f"{folder}: expected one run-*.wandb log, found {names}")
    log = logs[0]
    state = _State()
    for record in read_records(log):
        try:
            state.apply(record)
        except ValueError as exc:
            raise ImportSourceError(
                f"{log}: a record holds a value that is not JSON: {exc}"
            ) from None
    if state.run is None:
        raise ImportSourceError(f"{log}: holds no run record")
    if state.exit is None:
        raise ImportSourceError(
            f"{log}: ends before the run's exit record: the file is truncated, or the run "
            "crashed or is still running"
        )
    return state.imported(log, folder, project)


@dataclass
class _State:
    """A run as its records describe it so far."""

    run: Any = None
    exit: Any = None
    user: str | None = None
    config: dict[str, Any] = field(default_factory=dict)
    summary: dict[str, Any] = field(default_factory=dict)
    series: dict[str, list[tuple[int, float, int]]] = field(default_factory=dict)
    left_out: set[str] = field(default_factory=set)

    def apply(self, record: Any) -> None:
        kind = record.WhichOneof("record_type")
        if kind == "run":
            if self.run is None:
                self.run = record.run
            else:  # a later run record (a resumed run, an update) refines the first
                self.run.MergeFrom(record.run)
            _apply(self.config, record.run.config)
        elif kind == "config":
            _apply(self.config, record.config)
        elif kind == "summary":
            _apply(self.summary, record.summary)
        elif kind == "history":
            self._history(record.history)
        elif kind == "environment" and record.environment.username:
            self.user = record.environment.username
        elif kind == "exit":
            self.exit = record.exit

    def _history(self, history: Any) -> None:
        row = {_key(item): _value(item) for item in history.item}
        step = row.pop("_step", history.step.num)
        stamp = row.pop("_timestamp", None)
        ms = round(stamp * 1000) if isinstance(stamp, int | float) else 0
        for key, value in row.items():
            if key.startswith("_"):  # _runtime and the like: W&B's bookkeeping
                continue
            if isinstance(value, bool) or not isinstance(value, int | float):
                self.left_out.add(key)  # media, tables, text: their files are in files/
                continue
            self.series.setdefault(key, []).append((int(step), float(value), ms))

    def imported(self, log: Path, folder: Path, project: str | None) -> ImportedRun:
        run = self.run
        proj = run.project or DEFAULT_PROJECT
        start = _ms(run.start_time) if run.HasField("start_time") else 0
        points = [
            SeriesPoints(
                key,
                "",
                np.array([p[0] for p in rows], np.int64),
                np.array([p[1] for p in rows], np.float64),
                np.array([p[2] for p in rows], np.int64),
            )
            for key, rows in sorted(self.series.items())
        ]
        last = max((int(p.timestamps.max()) for p in points), default=start)
        code = self.exit.exit_code
        status, error = ("FINISHED", None) if code == 0 else ("FAILED", f"exit code {code}")
        end = max(start + self.exit.runtime * 1000, last)
        git = {k: v for k, v in (("commit", run.git.commit), ("remote", run.git.remote_url)) if v}
        warnings = []
        if self.left_out:
            keys = ", ".join(sorted(self.left_out))
            warnings.append(f"{log}: history values that are not numbers left out: {keys}")
        return ImportedRun(
            source=str(log),
            origin=Origin(
                {
                    "source": "wandb",
                    "run_id": run.run_id,
                    "entity": run.entity,
                    "project": proj,
                    "path": str(folder.resolve()),
                },
                ("source", "project", "run_id"),
            ),
            project=project or proj,
            name=run.display_name or run.run_id,
            status=status,
            start_time=start,
            end_time=end,
            user=self.user,
            host=run.host or None,
            group=run.run_group or None,
            job_type=run.job_type or None,
            notes=run.notes or None,
            exit_code=code,
            error=error,
            config={k: v for k, v in self.config.items() if k != "_wandb"},
            labels=list(run.tags),
            summary={k: v for k, v in self.summary.items() if not k.startswith("_")},
            metadata={"git": git} if git else {},
            points=points,
            files=folder / "files",  # where W&B keeps a run's files
            warnings=warnings,
        )


def _apply(target: dict[str, Any], record: Any) -> None:
    """Apply a config or summary record's updates and removals to ``target``."""
    for item in record.update:
        *parents, last = _path(item)
        node = target
        for p in parents:
            child = node.get(p)
            if not isinstance(child, dict):
                child = node[p] = {}
            node = child
        node[last] = _json(item.value_json)
    for item in record.remove:
        *parents, last = _path(item)
        node = target
        for p in parents:
            child = node.get(p)
            if not isinstance(child, dict):
                break
            node = child
        else:
            node.pop(last, None)


def _path(item: Any) -> list[str]:
    return list(item.nested_key) or [item.key]


def _key(item: Any) -> str:
    return ".".join(item.nested_key) or item.key


def _value(item: Any) -> Any:
    kind = item.WhichOneof("value")
    if kind is None:
        return _json(item.value_json) if item.value_json else None
    value = getattr(item, kind)
    return _json(value) if kind == "json" else None if kind == "none" else value


def _json(text: str) -> Any:
    """A value of the log, parsed as the server parses request JSON: a hostile log nested
    thousands deep is an error naming it, not a RecursionError."""
    return json_input.loads(text, "a value")


def _ms(ts: Any) -> int:
    return ts.seconds * 1000 + ts.nanos // 1_000_000
