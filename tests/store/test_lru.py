"""The one bounded LRU both decoded-series caches use."""

from __future__ import annotations

import threading

import numpy as np

from tracklog.store.chunk_tails import TailCache
from tracklog.store.lru import BoundedLRU
from tracklog.store.series_cache import SeriesCache


def test_least_recently_used_go_first_and_a_replaced_entry_counts_once() -> None:
    lru: BoundedLRU[str, bytes] = BoundedLRU(30, len)
    for k in "abc":
        lru.put(k, b"x" * 10)
    assert lru.get("a") == b"x" * 10  # a is now the most recently used
    lru.put("d", b"y" * 10)
    assert lru.get("b") is None
    assert [lru.get(k) is not None for k in "acd"] == [True, True, True]
    lru.put("d", b"z" * 10)  # replaced, not counted twice: nothing else is evicted
    assert (lru.get("d"), lru.size) == (b"z" * 10, 30)
    assert [lru.get(k) is not None for k in "ac"] == [True, True]


def test_an_entry_larger_than_the_bound_is_not_kept_and_evicts_nothing() -> None:
    lru: BoundedLRU[str, bytes] = BoundedLRU(30, len)
    lru.put("a", b"x" * 10)
    lru.put("big", b"x" * 31)
    assert (lru.get("big"), lru.get("a"), lru.size) == (None, b"x" * 10, 10)
    lru.put("a", b"x" * 31)  # the old value of a key is stale once a new one is put
    assert (lru.get("a"), lru.size) == (None, 0)
    off: BoundedLRU[str, bytes] = BoundedLRU(0, len)  # a bound of 0 turns caching off
    off.put("a", b"x")
    assert off.get("a") is None


def test_a_huge_tail_does_not_flush_the_tail_cache() -> None:
    small = (np.arange(10), np.ones(10), np.zeros(10, np.int64))
    huge = (np.arange(10_000), np.ones(10_000), np.zeros(10_000, np.int64))
    tails = TailCache(10_000)
    tails.put(1, b"s", small)
    tails.put(2, b"h", huge)
    assert tails.get(1, b"s") is not None and tails.get(2, b"h") is None
    series = SeriesCache(10_000)
    series.put((1, 10, 1), small)
    series.put((2, 10_000, 1), huge)
    assert series.get((1, 10, 1)) is not None and series.get((2, 10_000, 1)) is None


def test_threads_keep_the_size_exact() -> None:
    lru: BoundedLRU[int, bytes] = BoundedLRU(1000, len)

    def work(base: int) -> None:
        for i in range(2000):
            lru.put((base + i) % 300, b"x" * (i % 17))
            lru.get((base * 7 + i) % 300)

    threads = [threading.Thread(target=work, args=(n * 1000,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert lru.size == sum(len(lru.get(k) or b"") for k in range(300)) <= 1000
