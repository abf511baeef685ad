"""A bounded in-process cache of decoded series, so repeated reads (a chart being zoomed,
polled, or viewed by several people) skip decoding.

Entries are keyed by the series' id, point count and chunk count: every append changes the
count, so a cached entry can never be stale — a changed series simply misses.
"""

from __future__ import annotations

import os
import threading
from collections import OrderedDict

import numpy as np

Arrays = tuple[np.ndarray, np.ndarray, np.ndarray]
Version = tuple[int, int, int]


class SeriesCache:
    """Least-recently-used decoded series, up to ``max_bytes`` in total."""

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self._entries: OrderedDict[Version, Arrays] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()

    @classmethod
    def from_env(cls) -> SeriesCache:
        """The size from ``$TRACKLOG_SERIES_CACHE_MB`` (default 256; 0 turns caching off)."""
        return cls(int(os.environ.get("TRACKLOG_SERIES_CACHE_MB", "256")) * 1024 * 1024)

    def get(self, version: Version) -> Arrays | None:
        """The arrays cached for this exact version of a series, if any."""
        with self._lock:
            found = self._entries.get(version)
            if found is not None:
                self._entries.move_to_end(version)
            return found

    def put(self, version: Version, arrays: Arrays) -> None:
        """Remember ``arrays`` (read-only) for ``version``, evicting the least recently used."""
        size = sum(a.nbytes for a in arrays)
        if size > self.max_bytes:
            return
        with self._lock:
            if version in self._entries:
                return
            self._entries[version] = arrays
            self._bytes += size
            while self._bytes > self.max_bytes:
                _, old = self._entries.popitem(last=False)
                self._bytes -= sum(a.nbytes for a in old)
