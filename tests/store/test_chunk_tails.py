"""The cache of decoded tail chunks: only the exact blob hits, and it stays within its bound."""

from __future__ import annotations

import numpy as np

from tracklog.store.chunk_tails import TailCache


def arrays(n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    return np.arange(n, dtype=np.int64), np.ones(n), np.zeros(n, np.int64)


def test_only_the_same_blob_hits_and_kept_arrays_are_copies_that_cannot_change() -> None:
    cache = TailCache(1 << 20)
    mine = arrays(3)
    cache.put(7, b"blob-a", mine)
    mine[0][0] = 99  # the caller's arrays may change afterwards
    got = cache.get(7, b"blob-a")
    assert got is not None and got[0].tolist() == [0, 1, 2]
    assert not got[0].flags.writeable
    assert cache.get(7, b"blob-b") is None  # another writer's tail
    assert cache.get(8, b"blob-a") is None


def test_least_recently_used_tails_are_dropped_past_the_bound() -> None:
    one = len(b"x" * 100) + sum(a.nbytes for a in arrays(100))
    cache = TailCache(3 * one)
    for sid in range(3):
        cache.put(sid, b"x" * 100, arrays(100))
    assert cache.get(0, b"x" * 100) is not None  # 0 is now the most recently used
    cache.put(3, b"x" * 100, arrays(100))
    assert cache.get(1, b"x" * 100) is None
    assert all(cache.get(sid, b"x" * 100) is not None for sid in (0, 2, 3))
    cache.put(3, b"x" * 100, arrays(100))  # replacing an entry does not count it twice
    assert cache.get(0, b"x" * 100) is not None
