"""The on-disk form of metric points: compressed columnar chunks.

A chunk holds up to :data:`CHUNK_POINTS` points of one series in arrival order. Steps and
timestamps are delta-encoded int64 (mostly 1s and small numbers, which compress to almost
nothing); values are float64 split into byte planes (sign/exponent bytes of neighbouring values
are alike and compress, mantissa bytes mostly do not). Each of these sections is
zlib-compressed when that pays and stored raw otherwise.
NaN and +/-inf are ordinary float64 bit patterns here, so they round-trip exactly.
"""

from __future__ import annotations

import struct
import zlib
from collections.abc import Sequence

import numpy as np

from tracklog.errors import StoreError

CHUNK_POINTS = 4096
_MAGIC = b"TL2"
_HEADER = struct.Struct("<3sI")
_SECTION = struct.Struct("<BI")  # stored raw (0) or zlib (1), then the byte length
_RAW, _ZLIB = 0, 1
_SECTIONS = 10  # steps, timestamps, the eight byte planes of the values
_LEVEL = 1  # zlib level 1 is ~4x faster than the default and barely larger on this data
_WORTH_IT = 0.9  # keep a section compressed only if that saves at least 10%


def encode(
    steps: np.ndarray,
    values: np.ndarray,
    timestamps: np.ndarray,
    keep_raw: Sequence[bool] = (),
) -> bytes:
    """Encode three equal-length arrays (int64 steps, float64 values, int64 ms) as one chunk.

    Each of the ten sections (steps, timestamps, eight value byte planes) is compressed on its
    own and kept raw when that does not pay: mantissa planes of noisy values are random bytes,
    and copying them back is far cheaper than inflating them. Sections marked in ``keep_raw``
    are stored raw without trying: compressing random bytes to find that out costs most of the
    encoding.
    """
    n = len(steps)
    # The byte planes, each n bytes long, one after the other.
    planes = values.astype("<f8").view(np.uint8).reshape(n, 8).T.tobytes()
    sections = [
        _deltas(steps),
        _deltas(timestamps),
        *(planes[i * n : (i + 1) * n] for i in range(8)),
    ]
    parts = [_HEADER.pack(_MAGIC, n)]
    for i, raw in enumerate(sections):
        if i < len(keep_raw) and keep_raw[i]:
            parts += [_SECTION.pack(_RAW, len(raw)), raw]
            continue
        packed = zlib.compress(raw, _LEVEL)
        kind, body = (_ZLIB, packed) if len(packed) < _WORTH_IT * len(raw) else (_RAW, raw)
        parts += [_SECTION.pack(kind, len(body)), body]
    return b"".join(parts)


def _deltas(column: np.ndarray) -> bytes:
    """Differences of neighbours, the first against 0, as little-endian int64 bytes
    (``np.diff`` with ``prepend``, without its overhead on short arrays)."""
    column = column.astype("<i8", copy=False)
    out = np.empty(len(column), "<i8")
    out[:1] = column[:1]
    np.subtract(column[1:], column[:-1], out=out[1:])
    return out.tobytes()


def raw_sections(blob: bytes) -> tuple[bool, ...]:
    """Which of a chunk's ten sections are stored raw (for :func:`encode`'s ``keep_raw``)."""
    pos, out = _HEADER.size, []
    for _ in range(_SECTIONS):
        kind, length = _SECTION.unpack_from(blob, pos)
        out.append(kind == _RAW)
        pos += _SECTION.size + length
    return tuple(out)


def decode(blob: bytes) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Decode a chunk into (steps int64, values float64, timestamps int64)."""
    magic, n = _HEADER.unpack_from(blob)
    if magic != _MAGIC:
        raise StoreError(f"metric chunk has an unknown format tag {magic!r}")
    view = memoryview(blob)
    pos = _HEADER.size
    sections = []
    for _ in range(_SECTIONS):
        kind, length = _SECTION.unpack_from(blob, pos)
        body = view[pos + _SECTION.size : pos + _SECTION.size + length]
        sections.append(zlib.decompress(body) if kind == _ZLIB else body)
        pos += _SECTION.size + length
    sizes = [len(sec) for sec in sections]
    if sizes != [8 * n, 8 * n] + [n] * 8:
        raise StoreError(f"metric chunk is damaged: sections of {sizes} bytes for {n} points")
    steps = np.cumsum(np.frombuffer(sections[0], "<i8"))
    timestamps = np.cumsum(np.frombuffer(sections[1], "<i8"))
    planes = np.empty((n, 8), np.uint8)
    for i, plane in enumerate(sections[2:]):
        planes[:, i] = np.frombuffer(plane, np.uint8)
    values = planes.view("<f8").reshape(n)
    # Native-endian views without copies (a no-op on little-endian machines).
    return (
        steps.astype(np.int64, copy=False),
        values.astype(np.float64, copy=False),
        timestamps.astype(np.int64, copy=False),
    )
