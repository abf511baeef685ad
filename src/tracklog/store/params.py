"""Config as nested JSON plus a flattened, typed view (``optimizer.lr`` → text and number)."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from tracklog.store import json_output, validation


def flatten(config: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    """Flatten nested dicts with '.' (``{"a": {"b": 1}}`` → ``{"a.b": 1}``); lists stay whole."""
    out: dict[str, Any] = {}
    for k, v in config.items():
        full = f"{prefix}{k}"
        if isinstance(v, Mapping) and v:
            out.update(flatten(v, full + "."))
        else:
            out[full] = v
    return out


def merge(base: dict[str, Any], updates: Mapping[str, Any]) -> dict[str, Any]:
    """Deep-merge ``updates`` into a copy of ``base`` (dicts merge, anything else replaces)."""
    out = dict(base)
    for k, v in updates.items():
        if isinstance(v, Mapping) and isinstance(out.get(k), dict):
            out[k] = merge(out[k], v)
        else:
            out[k] = v
    return out


Param = tuple[str, str, float | None]  # a params row without its run: key, text, number


def param(key: str, value: Any) -> Param:
    """One flattened config entry as the ``params`` table holds it, checked: its key, its
    text and, for numbers, its value."""
    return key, param_text(key, value), _numeric(value)


def param_row(run_id: str, key: str, value: Any) -> dict[str, Any]:
    """The ``params`` row of one flattened config entry: its text and, for numbers, its value."""
    return row(run_id, param(key, value))


def row(run_id: str, entry: Param) -> dict[str, Any]:
    """The ``params`` row of run ``run_id`` for a checked :func:`param`."""
    return {"run_id": run_id, "key": entry[0], "value": entry[1], "value_num": entry[2]}


def param_text(key: str, value: Any) -> str:
    """The text of one flattened config entry, checked: a valid key and at most
    ``MAX_PARAM_VALUE`` characters."""
    validation.key(key, "config key")
    text = value if isinstance(value, str) else json_output.dumps(value)
    if len(text) > validation.MAX_PARAM_VALUE:
        raise validation.InvalidValueError(
            f"config key {key!r}: value is longer than {validation.MAX_PARAM_VALUE} characters"
        )
    return text


def check(config: Mapping[str, Any]) -> None:
    """Check a config (plain JSON data) as the store will flatten it (:func:`param_text`)."""
    for k, v in flatten(config).items():
        param_text(k, v)


def _numeric(value: Any) -> float | None:
    """The number a config value stands for: ints, floats and numeric strings ("1e-3", as
    argparse leaves them); None for anything else and for NaN (SQLite cannot hold it)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, str):
        try:
            value = float(value)
        except ValueError:
            return None
    if isinstance(value, int | float) and not math.isnan(value):
        return float(value)
    return None
