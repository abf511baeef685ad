"""The store's record types from the server's JSON answers.

The server writes NaN and infinities as the strings "NaN", "Infinity" and "-Infinity"; they
are turned back into floats where a number is meant: series statistics and summary values.
"""

from __future__ import annotations

import dataclasses
import math
from typing import Any

import numpy as np

from tracklog.store.records import (
    FileInfo,
    HistogramItem,
    MediaRecord,
    ProjectInfo,
    RunRecord,
    SeriesStats,
)

_NON_FINITE = {"NaN": math.nan, "Infinity": math.inf, "-Infinity": -math.inf}
_STATS_FIELDS = tuple(f.name for f in dataclasses.fields(SeriesStats))
_RUN_FIELDS = tuple(f.name for f in dataclasses.fields(RunRecord))


def number(value: Any) -> Any:
    """A float for the server's spelling of NaN and infinities; anything else as it is."""
    if isinstance(value, str):
        return _NON_FINITE.get(value, value)
    return value


def run_record(data: dict[str, Any]) -> RunRecord:
    """A :class:`RunRecord` from its JSON form."""
    values = {name: data[name] for name in _RUN_FIELDS if name in data}
    values["summary"] = {k: number(v) for k, v in (data.get("summary") or {}).items()}
    return RunRecord(**values)


def series_stats(data: dict[str, Any]) -> SeriesStats:
    """A :class:`SeriesStats` from its JSON form."""
    return SeriesStats(**{name: number(data[name]) for name in _STATS_FIELDS})


def file_info(data: dict[str, Any]) -> FileInfo:
    """A :class:`FileInfo` from its JSON form."""
    return FileInfo(data["path"], data["size"])


def project_info(data: dict[str, Any]) -> ProjectInfo:
    """A :class:`ProjectInfo` from its JSON form."""
    return ProjectInfo(
        data["id"],
        data["name"],
        data["run_count"],
        data["last_activity"],
        data.get("lifecycle_stage", "active"),
    )


def media_record(data: dict[str, Any]) -> MediaRecord:
    """A :class:`MediaRecord` from its JSON form."""
    return MediaRecord(**data)


def histogram(key: str, data: dict[str, Any]) -> HistogramItem:
    """A :class:`HistogramItem` of ``key`` from its JSON form (arrays as lists)."""
    return HistogramItem(
        key,
        data["context"],
        data["step"],
        data["time_ms"],
        np.asarray(data["edges"], np.float64),
        np.asarray(data["counts"], np.float64),
    )
