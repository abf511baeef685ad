"""Stored JSON as reads show it: decoded with a bounded depth, and text abridged for listings.

Values written before ``validation.MAX_JSON_DEPTH`` existed may nest deeper; decoding them
whole would overflow Python's stack here or in whatever walks the value next (the server's
encoders), so every part deeper than the limit reads as :data:`DEEP_MARKER`. The row itself
is never changed. Listings (searches, the runs page, event streams) show each string longer
than ``MAX_LISTED_TEXT`` cut, with a marker (:func:`abridged_text`); a run's own endpoint has
the whole value.
"""

from __future__ import annotations

import json
import re
from itertools import accumulate
from typing import Any

from tracklog.store.validation import MAX_JSON_DEPTH

MAX_LISTED_TEXT = 1000
DEEP_MARKER = f"[nested deeper than {MAX_JSON_DEPTH} levels: not shown]"
_DEEP_JSON = json.dumps(DEEP_MARKER)
_STRING = r'"[^"\\]*(?:\\.[^"\\]*)*"'
_NOT_BRACKETS = re.compile(rf'{_STRING}|[^\[\]{{}}"]+')  # strings and all but brackets
_TOKENS = re.compile(rf"{_STRING}|[\[\]{{}}]")


def loads(text: str) -> Any:
    """Stored JSON text as a value nested at most ``MAX_JSON_DEPTH`` deep."""
    if text.count("[") + text.count("{") > MAX_JSON_DEPTH and _depth(text) > MAX_JSON_DEPTH:
        text = _cut_deep(text)
    return json.loads(text)


def _depth(text: str) -> int:
    """How deep the lists and dicts of JSON ``text`` nest (brackets inside strings aside)."""
    brackets = _NOT_BRACKETS.sub("", text)
    return max(accumulate(1 if c in "[{" else -1 for c in brackets), default=0)


def _cut_deep(text: str) -> str:
    """``text`` with each list or dict that opens deeper than the limit replaced by the
    marker string."""
    pieces, depth, kept_from = [], 0, 0
    for token in _TOKENS.finditer(text):
        bracket = token.group()
        if bracket[0] == '"':
            continue
        if bracket in "[{":
            depth += 1
            if depth == MAX_JSON_DEPTH + 1:
                pieces += [text[kept_from : token.start()], _DEEP_JSON]
        else:
            if depth == MAX_JSON_DEPTH + 1:
                kept_from = token.end()
            depth -= 1
    pieces.append(text[kept_from:])
    return "".join(pieces)


def abridged_text(text: str) -> str:
    """``text`` cut to ``MAX_LISTED_TEXT`` characters with a marker, if longer."""
    if len(text) <= MAX_LISTED_TEXT:
        return text
    return f"{text[:MAX_LISTED_TEXT]}… [cut: {len(text)} characters in all]"
