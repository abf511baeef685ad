"""A bounded least-recently-used map, thread-safe: the one LRU of the store's caches
(decoded series in :mod:`series_cache`, decoded tail chunks in :mod:`chunk_tails`)."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class BoundedLRU(Generic[K, V]):
    """Values by key, up to ``max_size`` in total as measured by ``size``; the least recently
    used are evicted first. A value larger than the whole bound is not kept (it would evict
    everything else and then itself)."""

    def __init__(self, max_size: int, size: Callable[[V], int]) -> None:
        self.max_size = max_size
        self._measure = size
        self._entries: OrderedDict[K, tuple[V, int]] = OrderedDict()
        self._size = 0
        self._lock = threading.Lock()

    @property
    def size(self) -> int:
        """The total size of the values held."""
        return self._size

    def get(self, key: K) -> V | None:
        """The value for ``key`` (now the most recently used), or None."""
        with self._lock:
            found = self._entries.get(key)
            if found is None:
                return None
            self._entries.move_to_end(key)
            return found[0]

    def put(self, key: K, value: V) -> None:
        """Keep ``value`` for ``key`` (replacing any older one), evicting the least recently
        used past the bound."""
        size = self._measure(value)
        with self._lock:
            old = self._entries.pop(key, None)
            if old is not None:
                self._size -= old[1]
            if size > self.max_size:
                return
            self._entries[key] = (value, size)
            self._size += size
            while self._size > self.max_size:
                _, (_, dropped) = self._entries.popitem(last=False)
                self._size -= dropped
