"""Read runs of a home-grown JSON tracker: a folder per experiment.

Each experiment folder holds ``experiment.json``::

    {"id": "exp-1", "name": "baseline", "config": {...}, "status": "completed",
     "started_at": "20240101_120000", "ended_at": "20240101_130000",
     "metrics": {"loss": [{"value": 0.5, "step": 0, "timestamp": 1704110400.0}, ...]}}

and, optionally, ``config.json`` (its keys update ``config``) and ``artifacts/`` (the run's
files). Times are ``%Y%m%d_%H%M%S`` in local time, ISO 8601, or seconds (or milliseconds)
since the epoch; a point without ``step`` takes its place in the list. docs/migrate.md has
the format in full.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from datetime import datetime
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np

from tracklog.errors import NotFoundError
from tracklog.importers.imported_run import ImportedRun, ImportSourceError, Origin, SourceRun
from tracklog.store import json_input
from tracklog.store.records import SeriesPoints

EXPERIMENT_JSON, CONFIG_JSON, ARTIFACTS = "experiment.json", "config.json", "artifacts"
STATUSES = {
    **dict.fromkeys(
        ("completed", "complete", "finished", "success", "succeeded", "done"), "FINISHED"
    ),
    **dict.fromkeys(("failed", "failure", "error", "errored", "crashed"), "FAILED"),
    **dict.fromkeys(
        ("killed", "stopped", "cancelled", "canceled", "aborted", "interrupted"), "KILLED"
    ),
    **dict.fromkeys(("running", "in_progress", "started"), "RUNNING"),
}
_COMPACT = "%Y%m%d_%H%M%S"
_MS_FROM = 10**11  # larger epoch numbers are milliseconds (10**11 s is the year 5138)


def experiment_folders(folder: Path) -> list[Path]:
    """``folder`` itself if it holds ``experiment.json``, else its subfolders that do."""
    folder = Path(folder)
    if not folder.exists():
        raise NotFoundError(f"{folder}: no such folder")
    if not folder.is_dir():
        raise ImportSourceError(
            f"{folder}: not a folder; give an experiment folder or their parent"
        )
    if (folder / EXPERIMENT_JSON).is_file():
        return [folder]
    found = sorted(s for s in folder.iterdir() if (s / EXPERIMENT_JSON).is_file())
    if not found:
        raise ImportSourceError(f"{folder}: no {EXPERIMENT_JSON} inside, nor in its subfolders")
    return found


def read_runs(folder: Path, project: str | None = None) -> Iterator[SourceRun]:
    """A :class:`SourceRun` per experiment folder (see :func:`experiment_folders`); one whose
    files cannot be read raises :class:`ImportSourceError` naming the file when it is read."""
    project = project or Path(folder).resolve().name
    for path in experiment_folders(folder):
        origin = Origin({"source": "json", "path": str(path.resolve())}, ("source", "path"))
        yield SourceRun(origin, path.name, path.name, partial(read_run, path, project, origin))


def read_run(folder: Path, project: str, origin: Origin) -> ImportedRun:
    """One experiment folder, read and checked in full."""
    doc = _object(folder / EXPERIMENT_JSON)
    config = doc.get("config") or {}
    if not isinstance(config, dict):
        raise ImportSourceError(f"{folder / EXPERIMENT_JSON}: 'config' is not an object")
    if (folder / CONFIG_JSON).is_file():
        config = {**config, **_object(folder / CONFIG_JSON)}
    where = folder / EXPERIMENT_JSON
    points, warnings = _metrics(doc.get("metrics") or {}, where)
    first = min((int(p.timestamps.min()) for p in points if len(p.timestamps)), default=None)
    start = (
        _time(doc.get("started_at"), where, "started_at")
        or first
        or int(where.stat().st_mtime * 1000)
    )
    status_text = str(doc.get("status") or "completed")
    status = STATUSES.get(status_text.lower())
    if status is None:
        status = "FINISHED"
        warnings.append(f"{where}: status {status_text!r} is not one tracklog knows; FINISHED")
    name = doc.get("name")
    return ImportedRun(
        source=str(where),
        origin=Origin({**origin.fields, "id": str(doc.get("id", ""))}, origin.keys),
        project=project,
        name=str(name) if name else folder.name,
        status=status,
        start_time=start,
        end_time=_time(doc.get("ended_at"), where, "ended_at"),
        config=config,
        points=points,
        files=folder / ARTIFACTS if (folder / ARTIFACTS).is_dir() else None,
        warnings=warnings,
    )


def _object(path: Path) -> dict[str, Any]:
    try:
        value = json_input.loads(path.read_bytes(), str(path))
    except OSError as exc:
        raise ImportSourceError(f"{path}: cannot be read: {exc.strerror}") from None
    except ValueError as exc:
        raise ImportSourceError(f"{path}: not valid JSON: {exc}") from None
    if not isinstance(value, dict):
        raise ImportSourceError(f"{path}: holds {type(value).__name__}, not a JSON object")
    return value


def _metrics(metrics: Any, where: Path) -> tuple[list[SeriesPoints], list[str]]:
    if not isinstance(metrics, dict):
        raise ImportSourceError(f"{where}: 'metrics' is not an object of name -> points")
    out, warnings = [], []
    for key, points in sorted(metrics.items()):
        if not isinstance(points, list):
            raise ImportSourceError(f"{where}: metrics.{key} is not a list of points")
        steps, values, times, dropped = [], [], [], 0
        for i, point in enumerate(points):
            value = point.get("value") if isinstance(point, dict) else point
            if isinstance(value, bool) or not isinstance(value, int | float):
                dropped += 1
                continue
            step = point.get("step", i) if isinstance(point, dict) else i
            if isinstance(step, bool) or not isinstance(step, int):
                raise ImportSourceError(f"{where}: metrics.{key}[{i}].step is not an integer")
            stamp = point.get("timestamp") if isinstance(point, dict) else None
            steps.append(step)
            values.append(float(value))
            times.append(_time(stamp, where, f"metrics.{key}[{i}].timestamp") or 0)
        if dropped:
            warnings.append(f"{where}: {dropped} of the points of {key!r} hold no number; left out")
        out.append(
            SeriesPoints(
                key,
                "",
                np.array(steps, np.int64),
                np.array(values, np.float64),
                np.array(times, np.int64),
            )
        )
    return out, warnings


def _time(value: Any, where: Path, what: str) -> int | None:
    """Milliseconds since the epoch from a compact or ISO time, or epoch seconds/ms."""
    if value is None or value == "":
        return None
    if isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value):
        return int(value if value >= _MS_FROM else value * 1000)
    if isinstance(value, str):
        for parse in (lambda v: datetime.strptime(v, _COMPACT), datetime.fromisoformat):
            try:
                return int(parse(value).timestamp() * 1000)
            except ValueError:
                continue
    raise ImportSourceError(
        f"{where}: {what} {value!r} is not a time (%Y%m%d_%H%M%S, ISO 8601 or epoch seconds)"
    )
