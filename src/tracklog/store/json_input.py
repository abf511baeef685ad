"""JSON that arrives from outside (request bodies, ingest and journal record headers), parsed
once with its nesting bounded and its text checked, so nothing downstream recurses without
bound or meets a string no database can store."""

from __future__ import annotations

import json
from typing import Any

import orjson

from tracklog.errors import InvalidValueError
from tracklog.store.validation import utf8

# Deeper than any request or record needs (a stored value may nest 32 levels, plus the
# request's own envelope), far below where Python's recursion would give out.
MAX_DEPTH = 64


def loads(data: bytes | str, what: str) -> Any:
    """``data`` parsed as JSON (NaN and infinities allowed, as the clients send them).

    Raises :class:`InvalidValueError` naming ``what`` for text that is not JSON, a document
    nested more than :data:`MAX_DEPTH` levels, or a string that is not UTF-8 text (a lone
    surrogate written as a ``\\ud800`` escape)."""
    try:
        # Fast, and strict where it matters: it refuses lone surrogates (so only the depth is
        # left to check) and nesting past 1,024.
        value = orjson.loads(data)
    except orjson.JSONDecodeError:  # or NaN, Infinity, an integer past 64 bits, bad text
        value = _loads(data, what)
        check(value, what)
        return value
    _check_depth(value, what)
    return value


def _loads(data: bytes | str, what: str) -> Any:
    try:
        return json.loads(data)
    except RecursionError:  # the parser's own stack gave out: far deeper than MAX_DEPTH
        raise _too_deep(what) from None
    except ValueError as exc:  # includes bytes that are not UTF-8
        raise InvalidValueError(f"{what} is not valid JSON: {exc}") from None


def _check_depth(value: Any, what: str) -> None:
    """Raise if ``value`` nests deeper than :data:`MAX_DEPTH` (without recursion)."""
    stack: list[tuple[Any, int]] = [(value, 1)] if isinstance(value, dict | list) else []
    while stack:
        node, depth = stack.pop()
        if depth > MAX_DEPTH:
            raise _too_deep(what)
        for child in node.values() if isinstance(node, dict) else node:
            if isinstance(child, dict | list):
                stack.append((child, depth + 1))


def check(value: Any, what: str) -> None:
    """Raise if ``value`` nests deeper than :data:`MAX_DEPTH` or holds non-UTF-8 text.

    Walks with its own stack, never by recursion: the check must hold for any input."""
    if isinstance(value, str):
        utf8(value, what)
        return
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        node, depth = stack.pop()
        if isinstance(node, dict):
            items: Any = node.items()
        elif isinstance(node, list):
            items = enumerate(node)
        else:
            continue
        if depth > MAX_DEPTH:
            raise _too_deep(what)
        for k, v in items:
            if isinstance(k, str):
                utf8(k, f"a key in {what}")
            if isinstance(v, str):
                utf8(v, f"{what} (at {k!r})")
            elif isinstance(v, dict | list):
                stack.append((v, depth + 1))


def _too_deep(what: str) -> InvalidValueError:
    return InvalidValueError(f"{what} is nested too deep: more than {MAX_DEPTH} levels")
