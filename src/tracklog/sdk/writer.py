"""The background writer: turns logged rows into columnar batches and flushes them.

``Run.log()`` only appends ``(step, time_ms, {key: number})`` to a deque; this thread wakes
every :data:`FLUSH_INTERVAL` seconds, groups the rows into one array per series and hands the
batch to the backend. A batch the backend refuses (a locked or full disk, say) is kept and
retried, so nothing is dropped while the process lives.
"""

from __future__ import annotations

import math
import threading
import time
import uuid
import warnings
from collections import deque
from dataclasses import dataclass
from itertools import chain
from typing import Any

import numpy as np

from tracklog.sdk.backend import Backend, error_reason
from tracklog.store.engine import is_transient
from tracklog.store.series import SeriesPoints

FLUSH_INTERVAL = 0.25
BACKLOG_ROWS = 10_000  # rows buffered before log() wakes the writer early (bounds memory)
BATCH_ROWS = 8_192  # rows converted and written per batch
HEARTBEAT_INTERVAL = 30.0

Row = tuple[int, int, dict[str, float]]
TrackRow = tuple[str, str, int, int, float]


@dataclass
class PendingBatch:
    """A batch on its way to the backend; its id makes a retried write apply once."""

    batch_id: str
    batch: list[SeriesPoints]


class Writer(threading.Thread):
    """Drains a run's buffers into its backend from a daemon thread."""

    def __init__(self, backend: Backend, run_id: str) -> None:
        super().__init__(name=f"tracklog-writer-{run_id[:8]}", daemon=True)
        self.backend = backend
        self.run_id = run_id
        self.rows: deque[Row] = deque()
        self.tracks: deque[TrackRow] = deque()
        self.last_values: dict[str, float] = {}
        self.pending: list[PendingBatch] = []  # not written yet: retried
        self.rejected: list[PendingBatch] = []  # refused for what they hold: rescued at finish
        self.error: BaseException | None = None
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self._lock = threading.Lock()
        self._last_write = time.monotonic()

    def run(self) -> None:
        while not self._stopping.is_set():
            self._wake.wait(FLUSH_INTERVAL)
            self._wake.clear()
            try:
                self.flush(raise_errors=False)
            except Exception as exc:  # a bug must not end the thread and strand later points
                warnings.warn(f"tracklog: writer error: {exc!r}", stacklevel=1)
            if time.monotonic() - self._last_write > HEARTBEAT_INTERVAL:
                self._heartbeat()

    def flush(self, raise_errors: bool = True) -> None:
        """Write every buffered point now (from any thread); retry earlier failed batches.

        A batch the backend refuses for what it holds (not for being unreachable, locked or
        full) is set aside in :attr:`rejected` so it cannot block the batches after it.
        """
        with self._lock:
            if not self._write_pending(raise_errors):
                return
            while self.rows or self.tracks:
                # Bounded batches keep the arrays of a large backlog from all existing at once.
                self.pending.append(PendingBatch(uuid.uuid4().hex, self._collect()))
                if not self._write_pending(raise_errors):
                    return

    def collect_all(self) -> None:
        """Move every buffered row into :attr:`pending` without writing (to rescue them)."""
        with self._lock:
            while self.rows or self.tracks:
                self.pending.append(PendingBatch(uuid.uuid4().hex, self._collect()))

    def _write_pending(self, raise_errors: bool) -> bool:
        """Write the pending batches in order; return False if the backend failed."""
        while self.pending:
            item = self.pending[0]
            try:
                self.backend.append_metrics(self.run_id, item.batch, batch_id=item.batch_id)
            except Exception as exc:
                if not is_transient(exc):
                    self.rejected.append(self.pending.pop(0))
                    warnings.warn(
                        f"tracklog: the store refused a batch of metrics ({error_reason(exc)});"
                        " it will be saved for inspection when the run finishes",
                        stacklevel=1,
                    )
                    continue
                if self.error is None:
                    warnings.warn(
                        f"tracklog: writing metrics failed, will retry: {error_reason(exc)}",
                        stacklevel=1,
                    )
                self.error = exc
                if raise_errors:
                    raise
                return False
            self.pending.pop(0)
            self.error = None
            self._last_write = time.monotonic()
        return True

    def wake(self) -> None:
        """Flush now rather than at the next interval."""
        self._wake.set()

    def stop(self) -> None:
        """Stop the thread (the caller flushes what is left and handles errors)."""
        self._stopping.set()
        self._wake.set()
        if self.is_alive():
            self.join()

    def _heartbeat(self) -> None:
        try:
            self.backend.heartbeat(self.run_id)
            self._last_write = time.monotonic()
        except Exception:
            pass

    def _collect(self) -> list[SeriesPoints]:
        rows = _drain(self.rows, BATCH_ROWS)
        tracks = _drain(self.tracks, BATCH_ROWS)
        batch = _columns(rows, self.last_values) if rows else []
        if tracks:
            batch += _track_columns(tracks)
        return batch


def _drain(buffer: deque[Any], limit: int) -> list[Any]:
    # popleft is atomic, so rows appended while draining are left for the next batch.
    return [buffer.popleft() for _ in range(min(len(buffer), limit))]


def _columns(rows: list[Row], last_values: dict[str, float]) -> list[SeriesPoints]:
    """Group rows into one (steps, values, timestamps) array triple per key, arrival order kept.

    Rows with the same keys in the same order (the usual case) become one 2-D array at once.
    """
    groups: dict[tuple[str, ...], list[int]] = {}
    for i, (_, _, data) in enumerate(rows):
        groups.setdefault(tuple(data), []).append(i)
    steps_all = np.fromiter((r[0] for r in rows), np.int64, len(rows))
    times_all = np.fromiter((r[1] for r in rows), np.int64, len(rows))
    parts: dict[str, list[tuple[np.ndarray, np.ndarray]]] = {}
    for keys, index in groups.items():
        try:
            values = chain.from_iterable(rows[i][2].values() for i in index)
            matrix = np.fromiter(values, np.float64, len(index) * len(keys))
        except OverflowError:  # an int beyond float64 slipped past log()'s quick check
            values = chain.from_iterable(rows[i][2].values() for i in index)
            matrix = np.fromiter(map(_to_float, values), np.float64, len(index) * len(keys))
        matrix = matrix.reshape(len(index), len(keys))
        idx = np.asarray(index, dtype=np.int64)
        for j, key in enumerate(keys):
            parts.setdefault(key, []).append((idx, matrix[:, j]))
    out = []
    for key, pieces in parts.items():
        if len(pieces) == 1:
            idx, values = pieces[0]
        else:
            idx = np.concatenate([p[0] for p in pieces])
            values = np.concatenate([p[1] for p in pieces])
            order = np.argsort(idx, kind="stable")
            idx, values = idx[order], values[order]
        last_values[key] = float(values[-1])
        out.append(SeriesPoints(key, "", steps_all[idx], values, times_all[idx]))
    return out


def _track_columns(tracks: list[TrackRow]) -> list[SeriesPoints]:
    """Group Aim-style ``track()`` rows (key, context, step, time, value) per series."""
    series: dict[tuple[str, str], list[TrackRow]] = {}
    for t in tracks:
        series.setdefault((t[0], t[1]), []).append(t)
    return [
        SeriesPoints(
            key,
            ctx,
            np.array([t[2] for t in items], np.int64),
            np.array([t[4] for t in items], np.float64),
            np.array([t[3] for t in items], np.int64),
        )
        for (key, ctx), items in series.items()
    ]


def _to_float(value: float) -> float:
    """A number as float64, out-of-range integers as +/-inf."""
    try:
        return float(value)
    except OverflowError:
        return math.inf if value > 0 else -math.inf
