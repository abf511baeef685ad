"""JSON that tracklog writes, from one module (its reading twin is :mod:`json_input`).

Every form keeps NaN and infinities (written ``NaN``/``Infinity``, which tracklog's own parsers
read): a metric's or a config's NaN must survive the store, the wire and an export alike. The
forms differ only where their readers need it: stored values sort their keys, so equal values
have equal text; the wire is compact; an export is indented for people. This module imports
no database code.
"""

from __future__ import annotations

import json
from typing import Any

from tracklog.errors import InvalidTypeError


def _plain(value: Any) -> Any:
    """numpy scalars and arrays as plain numbers and lists (what a training script logs)."""
    if hasattr(value, "tolist") and type(value).__module__ == "numpy":
        return value.tolist()
    raise TypeError(f"a value of type {type(value).__name__} cannot be sent as JSON")


# Built once: json.dumps() builds a new encoder per call unless every option is the default,
# which costs more than encoding a small value.
_STORED = json.JSONEncoder(sort_keys=True, allow_nan=True)
_WIRE = json.JSONEncoder(allow_nan=True, separators=(",", ":"), default=_plain)
_HEADER = json.JSONEncoder(allow_nan=True)


def dumps(value: Any) -> str:
    """The store's text of a value (a config, a summary value, metadata): sorted keys, so
    equal values are equal text."""
    return _STORED.encode(value)


def wire_text(value: Any) -> str:
    """Compact JSON text of a request or an answer; numpy values become plain numbers and
    lists. Raises :class:`InvalidTypeError` for a value with no JSON form."""
    try:
        return _WIRE.encode(value)
    except (TypeError, ValueError) as exc:
        raise InvalidTypeError(str(exc)) from exc


def wire_bytes(value: Any) -> bytes:
    """:func:`wire_text` as UTF-8 bytes (an HTTP body)."""
    return wire_text(value).encode()


def record_header(value: Any) -> bytes:
    """A journal or ingest record's header line (keys in the order given)."""
    return _HEADER.encode(value).encode()


def export_text(value: Any) -> str:
    """A run folder's ``run.json``: indented, sorted, text kept as it is, ending in a newline."""
    return json.dumps(value, indent=2, sort_keys=True, allow_nan=True, ensure_ascii=False) + "\n"
