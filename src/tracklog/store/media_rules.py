"""The rules a media value or a histogram must meet before anything of it is stored.

Every writer checks a whole batch with these before it writes any of it (the store, the remote
client before sending), so a refused batch leaves nothing behind. Errors name the key and the
reason. No SQLAlchemy: the client and the SDK use them too.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from tracklog.errors import InvalidTypeError, InvalidValueError
from tracklog.store import validation
from tracklog.store.media_names import content_name
from tracklog.store.records import MEDIA_KINDS, Attachment, HistogramItem, MediaItem

MAX_HISTOGRAM_BINS = 65_536  # bins of one histogram: a distribution, not a data set


def media_item(item: Any) -> MediaItem:
    """``item`` once it is a storable :class:`MediaItem`: a valid key, context, step and
    time, a known kind, a file extension, JSON meta and files within
    :data:`~tracklog.store.validation.MAX_MEDIA_BYTES`; its meta as stored JSON."""
    key, what = _placed(item, MediaItem, "media")
    if item.kind not in MEDIA_KINDS:
        raise InvalidValueError(
            f"{what}: kind {item.kind!r} is not one of {', '.join(MEDIA_KINDS)}"
        )
    _file(item.data, item.ext, what)
    if not isinstance(item.attachments, tuple | list):
        raise InvalidTypeError(f"{what}: attachments must be a tuple of Attachments")
    for extra in item.attachments:
        if not isinstance(extra, Attachment):
            raise InvalidTypeError(
                f"{what}: an attachment is {type(extra).__name__}, not Attachment"
            )
        _file(extra.data, extra.ext, f"{what} (an attachment)")
    if not isinstance(item.meta, dict):
        raise InvalidTypeError(f"{what}: meta must be a dict, got {type(item.meta).__name__}")
    meta = validation.json_value(item.meta, f"{what} meta")
    return MediaItem(
        key,
        item.context,
        item.step,
        item.time_ms,
        item.kind,
        item.data,
        item.ext,
        meta,
        tuple(item.attachments),
    )


def histogram_item(item: Any) -> HistogramItem:
    """``item`` once it is a storable :class:`HistogramItem`: a valid key, context, step and
    time; 1 to :data:`MAX_HISTOGRAM_BINS` counts, finite and not negative; one more edge than
    counts, finite and increasing. Its arrays come back as float64."""
    key, what = _placed(item, HistogramItem, "histogram")
    edges, counts = _floats(item.edges, what, "edges"), _floats(item.counts, what, "counts")
    if not 1 <= len(counts) <= MAX_HISTOGRAM_BINS:
        raise InvalidValueError(
            f"{what}: {len(counts)} bins; a histogram has 1 to {MAX_HISTOGRAM_BINS}"
        )
    if len(edges) != len(counts) + 1:
        raise InvalidValueError(
            f"{what}: {len(edges)} edges for {len(counts)} counts; edges must be one more"
        )
    if not np.isfinite(edges).all():
        raise InvalidValueError(f"{what}: the edges must be finite numbers")
    if not (np.diff(edges) > 0).all():
        raise InvalidValueError(f"{what}: the edges must be increasing")
    if not np.isfinite(counts).all() or (counts < 0).any():
        raise InvalidValueError(f"{what}: the counts must be finite and not negative")
    return HistogramItem(key, item.context, item.step, item.time_ms, edges, counts)


def _placed(item: Any, kind: type[MediaItem] | type[HistogramItem], noun: str) -> tuple[str, str]:
    """Check what places ``item`` (its type, key, context, step and time); return its key
    and how messages name it."""
    if not isinstance(item, kind):
        raise InvalidTypeError(f"a {noun} batch holds {kind.__name__}s, got {type(item).__name__}")
    key = validation.key(item.key, f"{noun} key")
    what = f"{noun} {key!r}"
    validation.canonical_context(item.context, what)
    validation.step(item.step, key)
    t = item.time_ms
    if isinstance(t, bool) or not isinstance(t, int) or not 0 <= t < 2**63:
        raise InvalidValueError(f"{what}: time_ms must be an integer >= 0, got {t!r}")
    return key, what


def _file(data: Any, ext: Any, what: str) -> None:
    if not isinstance(data, bytes):
        raise InvalidTypeError(f"{what}: the file must be bytes, got {type(data).__name__}")
    if len(data) > validation.MAX_MEDIA_BYTES:
        raise InvalidValueError(
            f"{what}: a file of {len(data):,} bytes is over the limit of "
            f"{validation.MAX_MEDIA_BYTES:,} bytes per media file"
        )
    try:
        content_name(b"", ext if isinstance(ext, str) else "")
    except ValueError as exc:
        raise InvalidValueError(f"{what}: {exc}") from None


def _floats(values: Any, what: str, name: str) -> np.ndarray:
    try:
        array = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError):
        raise InvalidTypeError(f"{what}: {name} must be an array of numbers") from None
    if array.ndim != 1:
        raise InvalidValueError(f"{what}: {name} must be one-dimensional, got shape {array.shape}")
    return array
