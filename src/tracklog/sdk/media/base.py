"""The base of every rich value: what the writer asks of it."""

from __future__ import annotations

from abc import ABC, abstractmethod

from tracklog.store.records import HistogramItem, MediaItem


class Media(ABC):
    """A value ``log()`` stores as media or a histogram rather than as a number.

    A subclass validates and copies its input in ``__init__`` (cheap, in the caller's thread:
    a bad value is refused there, naming what is wrong) and encodes in :meth:`to_items`, which
    the writer thread calls.
    """

    @abstractmethod
    def to_items(
        self, key: str, context: str, step: int, time_ms: int
    ) -> list[MediaItem | HistogramItem]:
        """The store records of this value logged under ``key`` at ``step``."""
