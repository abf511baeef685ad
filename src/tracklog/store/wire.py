"""The record format shared by the offline journal and the server's ingest endpoint.

A record is one write call: ``<length u32><crc32 u32><payload>``, where the payload is a JSON
header line ``{"op": ..., "args": {...}}`` followed by the raw little-endian bytes of any metric
arrays the header names (so NaN and infinities travel bit for bit, and nothing is re-encoded).
A stream of records cut short (a process killed mid-write, a dropped connection) is read up to
its last whole record.
"""

from __future__ import annotations

import struct
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np

from tracklog.errors import InvalidValueError, StoreError
from tracklog.store import json_input, json_output
from tracklog.store.records import SeriesPoints

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
    """One framed record; ``args["batch"]`` (a list of SeriesPoints) travels as raw arrays."""
    header_args = dict(args)
    arrays: list[bytes] = []
    batch = header_args.pop("batch", None)
    if batch is not None:
        header_args["batch"] = [[p.key, p.context, len(p.steps)] for p in batch]
        for p in batch:
            arrays += [
                p.steps.astype("<i8").tobytes(),
                p.values.astype("<f8").tobytes(),
                p.timestamps.astype("<i8").tobytes(),
            ]
    header = json_output.record_header({"op": op, "args": header_args}) + b"\n"
    payload = header + b"".join(arrays)
    return FRAME.pack(len(payload), zlib.crc32(payload)) + payload


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
