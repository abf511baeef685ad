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

    def as_logged(self) -> Media:
        """This value as ``log()`` takes it, for the writer to encode later: the value itself,
        or for a value that may still change after ``log()`` (a Table gaining rows), a fixed
        view of it now."""
        return self

    @abstractmethod
    def to_items(
        self, key: str, context: str, step: int, time_ms: int
    ) -> list[MediaItem | HistogramItem]:
        """The store records of this value logged under ``key`` at ``step``."""
