"""The tail chunks this process wrote last, decoded, so that the next append to the same
series need not decode its tail again.

Small appends (one point per series per request, as the mlflow client's ``log_metrics``
sends them) rewrite each series' tail chunk every time, and decoding the tail back was a good
part of that work. An entry is used only when the tail read in the appending transaction is
byte for byte the blob the entry was made from, so a tail changed by another process, or a
write that was rolled back, simply misses.
"""

from __future__ import annotations

import numpy as np

from tracklog.store.lru import BoundedLRU

Arrays = tuple[np.ndarray, np.ndarray, np.ndarray]
_TYPES = (np.int64, np.float64, np.int64)  # what codec.decode returns


class TailCache:
    """Decoded tail chunks by series id, least recently used evicted past ``max_bytes``."""

    def __init__(self, max_bytes: int) -> None:
        self._lru: BoundedLRU[int, tuple[bytes, Arrays]] = BoundedLRU(max_bytes, _size)

    def get(self, series_id: int, blob: bytes) -> Arrays | None:
        """The decoded points of ``blob``, if it is the tail this cache holds for the series."""
        found = self._lru.get(series_id)
        return None if found is None or found[0] != blob else found[1]

    def put(self, series_id: int, blob: bytes, arrays: Arrays, owned: bool = False) -> None:
        """Remember that ``blob`` decodes to ``arrays``. They are copied unless ``owned`` (no
        one else holds them, so they can be made read-only as they are)."""
        kept = tuple(
            np.asarray(a, t) if owned else np.array(a, t, copy=True)
            for a, t in zip(arrays, _TYPES, strict=True)
        )
        for a in kept:
            a.flags.writeable = False
        self._lru.put(series_id, (blob, (kept[0], kept[1], kept[2])))


def _size(entry: tuple[bytes, Arrays]) -> int:
    return len(entry[0]) + sum(a.nbytes for a in entry[1])
