"""Encoding a batch of media values on every core the writer may use, and the cheap size
estimate that bounds how much waits to be encoded.

The encoders (PNG's zlib, WAV and GIF packing, Parquet) spend most of their time in C code
that releases the GIL, so a few threads encode a batch about that many times faster. The
threads live for one batch: none is left running between flushes, at ``finish()`` or in a
forked child.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Sequence
from itertools import count
from typing import TYPE_CHECKING

from tracklog.store import media_rules
from tracklog.store.records import HistogramItem, MediaItem

if TYPE_CHECKING:
    from tracklog.sdk.media.base import Media

Encoded = list[MediaItem | HistogramItem]
# One value to encode: (key, context, step, time_ms, value).
Job = tuple[str, str, int, int, "Media"]

ENCODERS = min(2, os.cpu_count() or 1)  # threads that encode a batch, the writer's included


class Encoding:
    """A batch of values being encoded: helper threads start on it at once (up to
    :data:`ENCODERS` threads in all with the one that calls :meth:`results`, which joins in),
    so the writer can write the batch before while they work."""

    def __init__(self, jobs: Sequence[Job], held: int = 0) -> None:
        self.jobs = jobs
        self.held = held  # bytes the values hold until encoded (see held_bytes)
        self._results: list[Encoded | Exception] = [[] for _ in jobs]
        self._following = count()
        self._helpers: list[threading.Thread] = []
        for _ in range(min(ENCODERS, len(jobs)) - 1):
            helper = threading.Thread(target=self._work, name="tracklog-encoder", daemon=True)
            try:
                helper.start()
            except RuntimeError:  # at interpreter shutdown (Python 3.12+): results() does it all
                break
            self._helpers.append(helper)

    def results(self) -> list[Encoded | Exception]:
        """Each job's checked store records, in the jobs' order, or the error that stopped
        it; the calling thread encodes what no helper has taken yet."""
        self._work()
        for helper in self._helpers:
            helper.join()
        return self._results

    def _work(self) -> None:
        # Each thread takes the next job as it is done, so a slow value does not hold up a
        # fixed share of the rest; next() on a count is atomic.
        while (i := next(self._following)) < len(self.jobs):
            key, context, step, time_ms, value = self.jobs[i]
            try:
                items = value.to_items(key, context, step, time_ms)
                # Checked here, so one bad value cannot get its whole batch refused.
                self._results[i] = [_checked(item) for item in items]
            except Exception as exc:
                self._results[i] = exc


def held_bytes(value: Media) -> int:
    """About how many bytes ``value`` holds until encoded: its arrays, bytes and strings
    (one level deep; cheap enough for every ``log()`` call)."""
    total = 0
    for part in vars(value).values():
        if isinstance(part, bytes | str):
            total += len(part)
        else:
            nbytes = getattr(part, "nbytes", 0)  # numpy arrays, without importing numpy
            total += nbytes if isinstance(nbytes, int) else 0
    return total


def _checked(item: object) -> MediaItem | HistogramItem:
    if isinstance(item, HistogramItem):
        return media_rules.histogram_item(item)
    return media_rules.media_item(item)
