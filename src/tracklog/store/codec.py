"""The on-disk form of metric points: compressed columnar chunks.

A chunk holds up to :data:`CHUNK_POINTS` points of one series in arrival order. Steps and
timestamps are delta-encoded int64 (mostly 1s and small numbers, which compress to almost
nothing); values are float64 split into byte planes (sign/exponent bytes of neighbouring values
are alike and compress, mantissa bytes mostly do not). Everything is then zlib-compressed.
NaN and +/-inf are ordinary float64 bit patterns here, so they round-trip exactly.
"""

from __future__ import annotations

import struct
import zlib

import numpy as np

from tracklog.errors import StoreError

CHUNK_POINTS = 4096
_MAGIC = b"TL1"
_HEADER = struct.Struct("<3sI")
_LEVEL = 1  # zlib level 1 is ~4x faster than the default and barely larger on this data


def encode(steps: np.ndarray, values: np.ndarray, timestamps: np.ndarray) -> bytes:
    """Encode three equal-length arrays (int64 steps, float64 values, int64 ms) as one chunk."""
    n = len(steps)
    body = b"".join(
        (
            np.diff(steps.astype("<i8"), prepend=np.int64(0)).tobytes(),
            np.diff(timestamps.astype("<i8"), prepend=np.int64(0)).tobytes(),
            values.astype("<f8").view(np.uint8).reshape(n, 8).T.tobytes(),
        )
    )
    return _HEADER.pack(_MAGIC, n) + zlib.compress(body, _LEVEL)


def decode(blob: bytes) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Decode a chunk into (steps int64, values float64, timestamps int64)."""
    magic, n = _HEADER.unpack_from(blob)
    if magic != _MAGIC:
        raise StoreError(f"metric chunk has an unknown format tag {magic!r}")
    body = zlib.decompress(memoryview(blob)[_HEADER.size :])
    if len(body) != 24 * n:
        raise StoreError(f"metric chunk is damaged: {len(body)} bytes for {n} points")
    steps = np.cumsum(np.frombuffer(body, "<i8", n, 0))
    timestamps = np.cumsum(np.frombuffer(body, "<i8", n, 8 * n))
    planes = np.frombuffer(body, np.uint8, 8 * n, 16 * n).reshape(8, n)
    values = np.ascontiguousarray(planes.T).view("<f8").reshape(n)
    return steps.astype(np.int64), values.astype(np.float64), timestamps.astype(np.int64)
