"""The record format shared by the offline journal and the server's ingest endpoint.

A record is one write call: ``<length u32><crc32 u32><payload>``, where the payload is a JSON
header line ``{"op": ..., "args": {...}}`` followed by the raw bytes the header names: metric
arrays and histograms as little-endian numbers (so NaN and infinities travel bit for bit, and
nothing is re-encoded), media files as they are.
A stream of records cut short (a process killed mid-write, a dropped connection) is read up to
its last whole record.
"""

from __future__ import annotations

import struct
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np

from tracklog.errors import InvalidValueError, StoreError
from tracklog.store import json_input, json_output
from tracklog.store.records import Attachment, HistogramItem, MediaItem, SeriesPoints

FRAME = struct.Struct("<II")
MEDIA_TYPE = "application/x-tracklog-records"
SERIES_MEDIA_TYPE = "application/x-tracklog-series"


@dataclass
class Record:
    """One write call: the store method ``op`` with keyword ``args``; ``end_offset`` is the
    byte offset just after the record in its stream."""

    op: str
    args: dict[str, Any]
    end_offset: int


def encode_record(op: str, args: dict[str, Any]) -> bytes:
    """One framed record; ``args["batch"]`` (a list of SeriesPoints) travels as raw arrays, and
    so do the files of ``log_media`` items and the arrays of ``log_histograms`` items."""
    header_args = dict(args)
    raw: list[bytes] = []
    batch = header_args.pop("batch", None)
    if batch is not None:
        header_args["batch"] = [[p.key, p.context, len(p.steps)] for p in batch]
        for p in batch:
            raw += [
                p.steps.astype("<i8").tobytes(),
                p.values.astype("<f8").tobytes(),
                p.timestamps.astype("<i8").tobytes(),
            ]
    if op in _ITEMS and "items" in header_args:
        header_args["items"] = [_ITEMS[op][0](item, raw) for item in header_args["items"]]
    header = json_output.record_header({"op": op, "args": header_args}) + b"\n"
    payload = header + b"".join(raw)
    return FRAME.pack(len(payload), zlib.crc32(payload)) + payload


def _media_head(item: MediaItem, raw: list[bytes]) -> list[Any]:
    raw.append(item.data)
    raw += [a.data for a in item.attachments]
    files = [[a.ext, len(a.data)] for a in item.attachments]
    head = [item.key, item.context, item.step, item.time_ms, item.kind, item.ext, item.meta]
    return [*head, len(item.data), files]


def _histogram_head(item: HistogramItem, raw: list[bytes]) -> list[Any]:
    counts = np.asarray(item.counts, "<f8")
    raw += [np.asarray(item.edges, "<f8").tobytes(), counts.tobytes()]
    return [item.key, item.context, item.step, item.time_ms, len(counts)]


def iter_records(data: bytes, start: int = 0, source: str = "stream") -> Iterator[Record]:
    """Yield the whole records of ``data`` from byte ``start``; stop at a torn tail.

    A record in the middle whose checksum fails raises :class:`StoreError` naming ``source``
    and the byte offset; a malformed header raises :class:`InvalidValueError`.
    """
    pos = start
    while pos + FRAME.size <= len(data):
        length, crc = FRAME.unpack_from(data, pos)
        body_end = pos + FRAME.size + length
        if body_end > len(data):
            return
        payload = data[pos + FRAME.size : body_end]
        if zlib.crc32(payload) != crc:
            if body_end == len(data):
                return
            raise StoreError(f"{source} is corrupt at byte {pos}: checksum mismatch")
        yield _decode(payload, body_end, source, pos)
        pos = body_end


def _decode(payload: bytes, end: int, source: str, pos: int) -> Record:
    header, _, rest = payload.partition(b"\n")
    try:
        msg = json_input.loads(header, "the record header")
        op, args = msg["op"], msg["args"]
        if not isinstance(op, str) or not isinstance(args, dict):
            raise TypeError("op must be a string and args an object")
        if "batch" in args:
            args["batch"] = _arrays(args["batch"], rest)
        if op in _ITEMS and "items" in args:
            args["items"] = _items(args["items"], rest, _ITEMS[op][1])
    except (ValueError, KeyError, TypeError) as exc:
        raise InvalidValueError(f"{source}: malformed record at byte {pos}: {exc}") from exc
    return Record(op, args, end)


def _arrays(spec: Any, rest: bytes) -> list[SeriesPoints]:
    batch, offset = [], 0
    for key, context, n in spec:
        if not isinstance(n, int) or n < 0 or offset + 24 * n > len(rest):
            raise ValueError(f"series {key!r}: {n!r} points do not fit the record")
        parts = []
        for dtype in ("<i8", "<f8", "<i8"):
            parts.append(np.frombuffer(rest, dtype, n, offset).astype(dtype[1:]))
            offset += 8 * n
        batch.append(SeriesPoints(key, context, parts[0], parts[1], parts[2]))
    return batch


class _Raw:
    """The raw bytes after a record's header, taken in order."""

    def __init__(self, data: bytes) -> None:
        self.data, self.offset = data, 0

    def take(self, n: Any, what: str) -> bytes:
        if not isinstance(n, int) or isinstance(n, bool) or n < 0:
            raise ValueError(f"{what}: a size must be an integer >= 0, got {n!r}")
        if self.offset + n > len(self.data):
            raise ValueError(f"{what}: {n} bytes do not fit the record")
        self.offset += n
        return self.data[self.offset - n : self.offset]


def _items(spec: Any, rest: bytes, decode: Callable[[Any, _Raw], Any]) -> list[Any]:
    if not isinstance(spec, list):
        raise TypeError("items must be a list")
    raw = _Raw(rest)
    return [decode(head, raw) for head in spec]


def _media_item(head: Any, raw: _Raw) -> MediaItem:
    key, context, step, time_ms, kind, ext, meta, size, files = head
    what = f"media {key!r}"
    data = raw.take(size, what)
    attachments = tuple(Attachment(raw.take(n, what), e) for e, n in files)
    return MediaItem(key, context, step, time_ms, kind, data, ext, meta, attachments)


def _histogram_item(head: Any, raw: _Raw) -> HistogramItem:
    key, context, step, time_ms, n = head
    what = f"histogram {key!r}"
    if not isinstance(n, int) or n < 0:
        raise ValueError(f"{what}: {n!r} bins")
    edges = np.frombuffer(raw.take(8 * (n + 1), what), "<f8").astype(np.float64)
    counts = np.frombuffer(raw.take(8 * n, what), "<f8").astype(np.float64)
    return HistogramItem(key, context, step, time_ms, edges, counts)


# The ops whose ``items`` travel with raw bytes: how each item is written and read back.
_ITEMS: dict[str, tuple[Callable[[Any, list[bytes]], list[Any]], Callable[[Any, _Raw], Any]]] = {
    "log_media": (_media_head, _media_item),
    "log_histograms": (_histogram_head, _histogram_item),
}


def encode_series(steps: np.ndarray, values: np.ndarray, timestamps: np.ndarray) -> bytes:
    """A series as raw arrays: int64 steps, float64 values, int64 ms, little-endian."""
    return b"".join(
        a.astype(d).tobytes() for a, d in ((steps, "<i8"), (values, "<f8"), (timestamps, "<i8"))
    )


def decode_series(body: bytes) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The arrays of :func:`encode_series` bytes."""
    if len(body) % 24:
        raise InvalidValueError(f"a series body of {len(body)} bytes is not whole points")
    n = len(body) // 24
    steps = np.frombuffer(body, "<i8", n, 0).astype(np.int64)
    values = np.frombuffer(body, "<f8", n, 8 * n).astype(np.float64)
    times = np.frombuffer(body, "<i8", n, 16 * n).astype(np.int64)
    return steps, values, times
