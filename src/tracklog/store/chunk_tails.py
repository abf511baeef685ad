"""The tail chunks this process wrote last, decoded, so that the next append to the same
series need not decode its tail again.

Small appends (one point per series per request, as the mlflow client's ``log_metrics``
sends them) rewrite each series' tail chunk every time, and decoding the tail back was a good
part of that work. An entry is used only when the tail read in the appending transaction is
byte for byte the blob the entry was made from, so a tail changed by another process, or a
write that was rolled back, simply misses.
"""

from __future__ import annotations

import threading
from collections import OrderedDict

import numpy as np

Arrays = tuple[np.ndarray, np.ndarray, np.ndarray]
_TYPES = (np.int64, np.float64, np.int64)  # what codec.decode returns


class TailCache:
    """Decoded tail chunks by series id, least recently used evicted past ``max_bytes``."""

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self._entries: OrderedDict[int, tuple[bytes, Arrays]] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()

    def get(self, series_id: int, blob: bytes) -> Arrays | None:
        """The decoded points of ``blob``, if it is the tail this cache holds for the series."""
        with self._lock:
            found = self._entries.get(series_id)
            if found is None or found[0] != blob:
                return None
            self._entries.move_to_end(series_id)
            return found[1]

    def put(self, series_id: int, blob: bytes, arrays: Arrays, owned: bool = False) -> None:
        """Remember that ``blob`` decodes to ``arrays``. They are copied unless ``owned`` (no
        one else holds them, so they can be made read-only as they are)."""
        kept = tuple(
            np.asarray(a, t) if owned else np.array(a, t, copy=True)
            for a, t in zip(arrays, _TYPES, strict=True)
        )
        for a in kept:
            a.flags.writeable = False
        with self._lock:
            old = self._entries.pop(series_id, None)
            if old is not None:
                self._bytes -= _size(old)
            entry = (blob, (kept[0], kept[1], kept[2]))
            self._entries[series_id] = entry
            self._bytes += _size(entry)
            while self._bytes > self.max_bytes and self._entries:
                _, dropped = self._entries.popitem(last=False)
                self._bytes -= _size(dropped)


def _size(entry: tuple[bytes, Arrays]) -> int:
    return len(entry[0]) + sum(a.nbytes for a in entry[1])
