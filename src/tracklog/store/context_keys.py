"""The one name of a metric series tracked with a context, as summaries, filters, order-by
clauses and table columns spell it: ``acc[subset=val]``.

The context's entries follow the key in brackets, sorted by name and joined by commas. A name
or a text value is written bare when it is a plain word (a letter or ``_``, then letters,
digits, ``_ - . / :``) that is not ``true``, ``false`` or ``null``; otherwise in double quotes,
with ``"`` and ``\\`` escaped by a backslash. Numbers and booleans are written as JSON writes
them (``fold=1``, ``ema=true``), so ``fold=1`` and ``fold="1"`` stay two series.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

_BARE = re.compile(r"[^\W\d][\w\-./:]*")
_LITERALS = {"true", "false", "null"}


def _text(value: str) -> str:
    if _BARE.fullmatch(value) and value not in _LITERALS:
        return value
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _value(value: Any) -> str:
    if isinstance(value, str):
        return _text(value)
    return json.dumps(value)  # bool -> true/false, numbers as JSON writes them


def context_suffix(context: Mapping[str, Any]) -> str:
    """``[name=value,...]`` of a context (its names sorted); ``""`` for no context."""
    if not context:
        return ""
    items = (f"{_text(k)}={_value(context[k])}" for k in sorted(context))
    return "[" + ",".join(items) + "]"


def summary_key(key: str, context_json: str) -> str:
    """The summary name of the series ``key`` in a stored context (canonical JSON, ``""``
    for none): ``key`` itself without a context, ``key[name=value,...]`` with one."""
    return key + context_suffix(json.loads(context_json)) if context_json else key
