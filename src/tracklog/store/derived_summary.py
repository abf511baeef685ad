"""The summary values a run's series give it: one per (key, context) series, named as
:mod:`~tracklog.store.context_keys` spells it, valued by the run's ``define_metric`` modes
(default: the last value); and the ``run_summary`` rows that hold summary values."""

from __future__ import annotations

import fnmatch
from collections.abc import Iterable
from typing import Any

from tracklog.store import json_output, validation
from tracklog.store.context_keys import summary_key
from tracklog.store.records import SeriesStats


def summary_modes(defs: list[dict[str, Any]]) -> list[tuple[str, str]]:
    """(pattern, mode) pairs in the order they are tried: exact names first, then globs, the
    latest definition first."""
    with_mode = [(d["name"], _mode(d)) for d in reversed(defs) if d.get("summary")]
    return sorted(with_mode, key=lambda pm: any(c in pm[0] for c in "*?["))


def _mode(definition: dict[str, Any]) -> str:
    """A definition's mode; "best" is min or max by the definition's goal."""
    if definition["summary"] != "best":
        return str(definition["summary"])
    return "max" if definition.get("goal") == "maximize" else "min"


def derived_summaries(
    stats: Iterable[SeriesStats], modes: list[tuple[str, str]]
) -> dict[str, float | None]:
    """The summary of each series by its name (``acc``, ``acc[subset=val]``); a name past
    a key's length is left without one."""
    named = ((summary_key(st.key, st.context), st) for st in stats)
    return {
        name: _summary_value(st, modes) for name, st in named if len(name) <= validation.MAX_KEY
    }


def _summary_value(stats: SeriesStats, modes: list[tuple[str, str]]) -> float | None:
    """A series' summary under the best matching ``define_metric`` (default: last)."""
    for pattern, mode in modes:
        if fnmatch.fnmatchcase(stats.key, pattern):
            return stats.summary(mode)
    return stats.last


def summary_rows(run_id: str, values: dict[str, Any], explicit: bool) -> list[dict[str, Any]]:
    """``run_summary`` rows of checked summary values (set by hand if ``explicit``, else
    derived: a metric's number or None); NaN is kept in the JSON, not as a number."""
    rows = []
    for k, v in values.items():
        number = float(v) if isinstance(v, int | float) and not isinstance(v, bool) else None
        rows.append(
            {
                "run_id": run_id,
                "key": k,
                "value_num": None if number is None or number != number else number,
                "value_json": json_output.dumps(v),
                "explicit": explicit,
            }
        )
    return rows
