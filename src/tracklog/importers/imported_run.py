"""A run read from another tracker, checked in full and then written in one transaction.

Each importer lists its source's runs as :class:`SourceRun` objects, known by their
:class:`Origin`; a run imported before is skipped before it is read, the others are read in
full as :class:`ImportedRun` objects. This module gives an imported run the shape of a
tracklog run export and writes it with the code behind ``tracklog runs import``
(:mod:`tracklog.store.transfer`): the same checks, the same single-transaction write, the
same clean-up of copied files when the write fails. The origin is kept in the run's metadata
(``imported_from``).
"""

from __future__ import annotations

import importlib
import math
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any

from tracklog.errors import AlreadyExistsError, InvalidValueError, TracklogError
from tracklog.store import validation
from tracklog.store.artifacts import safe_relpath
from tracklog.store.clock import now_ms
from tracklog.store.records import SeriesPoints
from tracklog.store.transfer import FORMAT, FORMAT_VERSION, RunFolder, check_doc, write_run

if TYPE_CHECKING:
    from tracklog.store.tracking import Store

ORIGIN = "imported_from"
# Run ids derived from an origin are stable across imports (uuid5 of the origin's identity).
_ID_SPACE = uuid.UUID("5b0c6f8e-7d0a-4b8e-9d7e-2f1c3a4b5c6d")


class ImportSourceError(InvalidValueError):
    """The source is missing, corrupt or partial; the message names the file or URI."""


def require(module: str, package: str, what: str) -> ModuleType:
    """Import an optional package the importer reads with, or say how to install it."""
    try:
        return importlib.import_module(module)
    except ImportError:
        raise TracklogError(f"pip install {package} to import {what}") from None


@dataclass(frozen=True)
class Origin:
    """Where a run came from: ``fields`` are kept in the run's metadata (``imported_from``);
    the values of ``keys`` among them tell two source runs apart."""

    fields: dict[str, Any]
    keys: tuple[str, ...]

    @property
    def identity(self) -> tuple[str, ...]:
        """What makes a run the same run on a second import."""
        return _identity(self.fields, self.keys)


@dataclass
class ImportedRun:
    """Everything about one run of another tracker, read in full before anything is written.

    ``source`` names it in error messages. ``files`` is the folder holding the run's files
    (subfolders kept), or None. ``warnings`` name what the source held that was left
    out. ``summary`` holds values set by hand; the values derived from the metrics (each
    series' last point) are added when the run is written.
    """

    source: str
    origin: Origin
    project: str
    name: str
    status: str
    start_time: int
    end_time: int | None = None
    user: str | None = None
    host: str | None = None
    group: str | None = None
    job_type: str | None = None
    parent_run_id: str | None = None
    notes: str | None = None
    exit_code: int | None = None
    error: str | None = None
    deleted: bool = False
    config: dict[str, Any] = field(default_factory=dict)
    tags: dict[str, str] = field(default_factory=dict)
    labels: list[str] = field(default_factory=list)
    summary: dict[str, Any] = field(default_factory=dict)
    metadata: dict[str, Any] = field(default_factory=dict)
    points: list[SeriesPoints] = field(default_factory=list)
    files: Path | None = None
    warnings: list[str] = field(default_factory=list)

    @property
    def point_count(self) -> int:
        """How many metric points the run carries."""
        return sum(len(p.steps) for p in self.points)


@dataclass(frozen=True)
class SourceRun:
    """A run of the source, known by its origin, name and id there; ``read`` reads it in full
    (only done when it is to be imported)."""

    origin: Origin
    source_id: str
    name: str
    read: Callable[[], ImportedRun]


@dataclass(frozen=True)
class Outcome:
    """What became of one source run: written under ``run_id`` as ``run``, or skipped (``run``
    is None) because the store holds it from an earlier import. ``warnings`` name what was
    left out."""

    source: SourceRun
    run_id: str
    run: ImportedRun | None
    files: int = 0
    warnings: tuple[str, ...] = ()


def stable_id(*parts: str) -> str:
    """A run id derived from an origin's identity: the same on every import."""
    return uuid.uuid5(_ID_SPACE, "\x1f".join(parts)).hex


def import_run(store: Store, source: SourceRun) -> Outcome:
    """Read and write ``source`` unless it was imported before, in one transaction (all or
    nothing).

    The run keeps its source id when that is a valid tracklog id not taken by another run;
    otherwise it gets an id derived from its origin.
    """
    run_id, existing = _choose_id(store, source)
    if existing:
        return Outcome(source, run_id, None)
    run = source.read()
    files, warnings = _list_files(run)
    doc = _doc(run, run_id, files)
    try:
        doc = check_doc(doc)  # written as the store's rules clean it
        for p in run.points:
            validation.series_points(p)
    except TracklogError as exc:
        raise ImportSourceError(f"{run.source}: {exc}") from None
    write_run(store, RunFolder(Path(), doc, run.points, run.files or Path()), run_id)
    return Outcome(source, run_id, run, len(files), (*run.warnings, *warnings))


def _choose_id(store: Store, source: SourceRun) -> tuple[str, bool]:
    """The id to write the run under, and whether the store holds it from an earlier import."""
    identity = source.origin.identity
    candidates = [stable_id(*identity)]
    if _valid_id(source.source_id):
        candidates.insert(0, source.source_id)
    for rid in candidates:
        if not store.has_run(rid):
            return rid, False
        stored = store.get_run(rid).metadata.get(ORIGIN)
        if isinstance(stored, dict) and _identity(stored, source.origin.keys) == identity:
            return rid, True
    raise AlreadyExistsError(
        f"{source.origin.fields['source']} run {source.source_id}: the run ids "
        f"{', '.join(candidates)} are taken by other runs"
    )


def _identity(fields: dict[str, Any], keys: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(str(fields.get(k, "")) for k in keys)


def _valid_id(value: str) -> bool:
    try:
        validation.run_id(value)
    except TracklogError:
        return False
    return True


def _list_files(run: ImportedRun) -> tuple[list[dict[str, Any]], list[str]]:
    """The run's files as run.json lists them; files that cannot be copied (a broken link,
    a socket) are left out with a warning."""
    if run.files is None:
        return [], []
    root = run.files
    out, warnings = [], []
    for path in sorted(root.rglob("*")) if root.is_dir() else []:
        if path.is_dir():
            continue
        rel = path.relative_to(root).as_posix()
        if not path.is_file():
            warnings.append(f"{path}: not a regular file (a broken link?), left out")
            continue
        try:
            rel = safe_relpath(rel)
        except TracklogError as exc:
            warnings.append(f"{path}: {exc}, left out")
            continue
        st = path.stat()
        out.append({"path": rel, "size": st.st_size, "created_at": int(st.st_mtime * 1000)})
    return out, warnings


def _doc(run: ImportedRun, run_id: str, files: list[dict[str, Any]]) -> dict[str, Any]:
    """The run as a run export's ``run.json`` would hold it."""
    return {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "id": run_id,
        "project": run.project,
        "name": run.name,
        "status": run.status,
        "start_time": run.start_time,
        "end_time": run.end_time,
        "heartbeat_at": None,
        "user": run.user,
        "host": run.host,
        "pid": None,
        "pid_started": None,
        "group_name": run.group,
        "job_type": run.job_type,
        "parent_run_id": run.parent_run_id,
        "notes": run.notes,
        "exit_code": run.exit_code,
        "error": run.error,
        "lifecycle_stage": "deleted" if run.deleted else "active",
        "deleted_at": now_ms() if run.deleted else None,
        "config": run.config,
        "config_history": [],
        "tags": run.tags,
        "labels": sorted(set(run.labels)),
        "summary": _summary(run),
        "metric_defs": [],
        "metadata": {**run.metadata, ORIGIN: run.origin.fields},
        "metrics": [
            {"key": p.key, "context": p.context, "count": len(p.steps)} for p in run.points
        ],
        "files": files,
    }


def _summary(run: ImportedRun) -> list[dict[str, Any]]:
    """Each series' last point (as the store derives it), then the values set by hand,
    which win where they differ."""
    derived = {p.key: float(p.values[-1]) for p in run.points if not p.context and len(p.steps)}
    rows = {k: {"key": k, "value": v, "explicit": False} for k, v in derived.items()}
    for k, v in run.summary.items():
        if k in derived and _same(derived[k], v):
            continue
        rows[k] = {"key": k, "value": v, "explicit": True}
    return [rows[k] for k in sorted(rows)]


def _same(a: float, b: Any) -> bool:
    if isinstance(b, bool) or not isinstance(b, int | float):
        return False
    return a == b or (math.isnan(a) and math.isnan(b))
