"""A bounded in-process cache of decoded series, so repeated reads (a chart being zoomed,
polled, or viewed by several people) skip decoding.

Entries are keyed by the series' id, point count and chunk count: every append changes the
count, so a cached entry can never be stale — a changed series simply misses.
"""

from __future__ import annotations

import os

import numpy as np

from tracklog.store.lru import BoundedLRU

Arrays = tuple[np.ndarray, np.ndarray, np.ndarray]
Version = tuple[int, int, int]


class SeriesCache:
    """Least-recently-used decoded series, up to ``max_bytes`` in total."""

    def __init__(self, max_bytes: int) -> None:
        self._lru: BoundedLRU[Version, Arrays] = BoundedLRU(max_bytes, _nbytes)

    @classmethod
    def from_env(cls) -> SeriesCache:
        """The size from ``$TRACKLOG_SERIES_CACHE_MB`` (default 256; 0 turns caching off)."""
        return cls(int(os.environ.get("TRACKLOG_SERIES_CACHE_MB", "256")) * 1024 * 1024)

    def get(self, version: Version) -> Arrays | None:
        """The arrays cached for this exact version of a series, if any."""
        return self._lru.get(version)

    def put(self, version: Version, arrays: Arrays) -> None:
        """Remember ``arrays`` (read-only) for ``version``, evicting the least recently used."""
        self._lru.put(version, arrays)


def _nbytes(arrays: Arrays) -> int:
    return sum(a.nbytes for a in arrays)
