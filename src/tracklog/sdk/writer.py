"""The background writer: turns logged rows into columnar batches and flushes them.

``Run.log()`` only appends ``(step, time_ms, {key: number})`` to a deque, and media values
(``(key, context, step, time_ms, Media)``) to another. One daemon thread per process (the
flusher) wakes every :data:`FLUSH_INTERVAL` seconds and, for each live run, groups the rows
into one array per series, encodes the media (``Media.to_items``), and hands the batches to the
run's backend; the media of a batch are encoded on up to two threads at once
(:mod:`tracklog.sdk.media_encoding`). A batch the backend refuses (a locked or full disk,
say) is kept and retried, so nothing is dropped while the process lives. ``finish()`` writes
what is left from the caller's thread.

One thread for all runs rather than one per run: starting and joining a thread per run costs
more than writing a short run, and on a busy machine waiting for the new thread to be
scheduled costs more still.

Media waiting to be encoded are bounded: past :data:`MEDIA_BACKLOG_BYTES` of them (about; see
:func:`~tracklog.sdk.media_encoding.held_bytes`), ``log()`` waits for the writer to catch up
rather than let the process's memory grow without end.
"""

from __future__ import annotations

import math
import os
import threading
import time
import uuid
import warnings
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from itertools import chain
from typing import TYPE_CHECKING, Any

import numpy as np

from tracklog.errors import InvalidValueError, retryable
from tracklog.sdk.backend import Backend
from tracklog.sdk.media_encoding import Encoding, Job, held_bytes
from tracklog.store.records import HistogramItem, MediaItem, SeriesPoints

if TYPE_CHECKING:
    from tracklog.sdk.media.base import Media

FLUSH_INTERVAL = 0.25
BACKLOG_ROWS = 10_000  # rows buffered before log() wakes the writer early (bounds memory)
BATCH_ROWS = 8_192  # rows converted and written per batch
HEARTBEAT_INTERVAL = 30.0
MEDIA_BATCH_BYTES = 16 << 20  # encoded media bytes per batch (one journal record, one request)
MEDIA_BATCH_ITEMS = 1_000  # media values or histograms per batch
BACKLOG_MEDIA = 256  # media values waiting before log() wakes the writer early
MEDIA_BACKLOG_BYTES = 256 << 20  # media bytes waiting before log() waits for the writer
MEDIA_BACKLOG_ENV = "TRACKLOG_MEDIA_BACKLOG_MB"  # overrides MEDIA_BACKLOG_BYTES, in MiB

Row = tuple[int, int, dict[str, float]]
TrackRow = tuple[str, str, int, int, float]
MediaRow = tuple[str, str, int, int, "Media", int]  # key, context, step, time_ms, value, bytes


@dataclass
class PendingBatch:
    """A batch on its way to the backend's ``op`` (metric points, media items or histograms);
    its id makes a retried write apply once."""

    batch_id: str
    batch: list[Any]
    op: str = "append_metrics"

    def sizes(self) -> Iterator[tuple[str, int]]:
        """Each series' or key's label (its context after it) and number of values held."""
        for p in self.batch:
            label = f"{p.key} {p.context}" if p.context else p.key
            yield label, len(p.steps) if isinstance(p, SeriesPoints) else 1


class Writer:
    """A run's buffers and their way into its backend; the process's flusher drains them."""

    def __init__(self, backend: Backend, run_id: str) -> None:
        self.backend = backend
        self.run_id = run_id
        self.rows: deque[Row] = deque()
        self.tracks: deque[TrackRow] = deque()
        self.media: deque[MediaRow] = deque()
        self.media_bytes = 0  # held by the values in :attr:`media` (an estimate)
        self.media_limit = _media_backlog_limit()
        self._room = threading.Condition()  # guards media_bytes; notified as it shrinks
        self.last_values: dict[str, float] = {}
        self.pending: list[PendingBatch] = []  # not written yet: retried
        self.rejected: list[PendingBatch] = []  # refused for what they hold: rescued at finish
        self.error: BaseException | None = None
        self.periodic: list[Callable[[], None]] = []  # called after each of the flusher's ticks
        self._lock = threading.Lock()
        self._stopped = False
        self._last_write = time.monotonic()

    def start(self) -> None:
        """Have the flusher write this run's buffers every :data:`FLUSH_INTERVAL` seconds."""
        _flusher.add(self)

    def is_alive(self) -> bool:
        """Whether the background flushing of this run goes on."""
        return not self._stopped and _flusher.serves(self)

    def tick(self) -> None:
        """The flusher's periodic call: flush, and send a heartbeat when nothing was written
        for a while. Never raises."""
        with self._lock:
            if self._stopped:
                return
            try:
                self._flush(raise_errors=False)
            except Exception as exc:  # a bug must not stop the flusher and strand later points
                warnings.warn(f"tracklog: writer error: {exc!r}", stacklevel=1)
        for call in self.periodic:
            try:
                call()
            except Exception as exc:
                warnings.warn(f"tracklog: writer error: {exc!r}", stacklevel=1)
        if time.monotonic() - self._last_write > HEARTBEAT_INTERVAL:
            self._heartbeat()

    def flush(self, raise_errors: bool = True) -> None:
        """Write every buffered point now (from any thread); retry earlier failed batches.

        A batch the backend refuses for what it holds (not for being unreachable, locked or
        full) is set aside in :attr:`rejected` so it cannot block the batches after it.
        """
        with self._lock:
            self._flush(raise_errors)

    def _flush(self, raise_errors: bool) -> None:
        if not self._write_pending(raise_errors):
            return
        while self.rows or self.tracks:
            # Bounded batches keep the arrays of a large backlog from all existing at once.
            self.pending.append(PendingBatch(uuid.uuid4().hex, self._collect()))
            if not self._write_pending(raise_errors):
                return
        encoding = self._start_encoding() if self.media else None
        while encoding is not None:
            self.pending += self._encoded(encoding)
            # The next batch's helper threads encode while this one is written.
            encoding = self._start_encoding() if self.media else None
            if not self._write_pending(raise_errors):
                if encoding is not None:  # its values left the buffer: keep them for a retry
                    self.pending += self._encoded(encoding)
                return

    def finish(self, status: str, **end: Any) -> bool:
        """Write what is buffered together with the run's end, where the backend takes both in
        one call (a local store: one transaction); return whether it did.

        False, with nothing written, when it cannot: the backend has no such call, older
        batches wait for a retry, or the buffer holds more than one batch. The caller then
        flushes and finishes apart; a batch tried here is kept in :attr:`pending` for that.
        """
        together = getattr(self.backend, "append_and_finish", None)
        with self._lock:
            if together is None or self.pending or self.media:
                return False
            if len(self.rows) > BATCH_ROWS or len(self.tracks) > BATCH_ROWS:
                return False
            item = PendingBatch(uuid.uuid4().hex, self._collect())
            batch_id = item.batch_id if item.batch else None  # nothing to apply twice
            try:
                together(self.run_id, item.batch, batch_id, status, **end)
            except Exception:
                if item.batch:
                    self.pending.append(item)
                return False
            return True

    def collect_all(self) -> None:
        """Move every buffered row into :attr:`pending` without writing (to rescue them)."""
        with self._lock:
            while self.rows or self.tracks:
                self.pending.append(PendingBatch(uuid.uuid4().hex, self._collect()))
            while self.media:
                self.pending += self._encoded(self._start_encoding())

    def _write_pending(self, raise_errors: bool) -> bool:
        """Write the pending batches in order; return False if the backend failed."""
        while self.pending:
            item = self.pending[0]
            try:
                write = getattr(self.backend, item.op)
                write(self.run_id, item.batch, batch_id=item.batch_id)
            except Exception as exc:
                if not retryable(exc):
                    self.rejected.append(self.pending.pop(0))
                    what = _WHAT[item.op]
                    warnings.warn(
                        f"tracklog: the store refused a batch of {what} ({exc});"
                        " it will be saved for inspection when the run finishes",
                        stacklevel=1,
                    )
                    continue
                if self.error is None:
                    warnings.warn(
                        f"tracklog: writing {_WHAT[item.op]} failed, will retry: {exc}",
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

    def queue_media(self, rows: Iterable[Job]) -> None:
        """Buffer media values for the writer to encode (from ``log()``'s thread).

        Past :attr:`media_limit` bytes waiting, wait until the writer has taken enough of
        them, unless it cannot (it is stopped, failing, or this is its own thread): memory
        stays bounded and a stalled store does not stall the loop for good.
        """
        added = 0
        for key, context, step, time_ms, value in rows:
            size = held_bytes(value)
            self.media.append((key, context, step, time_ms, value, size))
            added += size
        with self._room:
            self.media_bytes += added
            full = self.media_bytes > self.media_limit
        if full or len(self.media) >= BACKLOG_MEDIA:
            _flusher.wake()
        if full and not _flusher.runs_here():
            self._wait_for_room()

    def _wait_for_room(self) -> None:
        with self._room:
            while self.media_bytes > self.media_limit and self.error is None and self.is_alive():
                _flusher.wake()
                # Timed: the writer may stop or fail without a notify reaching this wait.
                self._room.wait(FLUSH_INTERVAL)

    def wake(self) -> None:
        """Flush now rather than at the next interval."""
        _flusher.wake()

    def stop(self) -> None:
        """End the background flushing (waiting for one under way); the caller writes what is
        left and handles errors."""
        _flusher.remove(self)
        with self._lock:
            self._stopped = True
        with self._room:  # a log() waiting for room stops waiting for this run's flusher
            self._room.notify_all()

    def _heartbeat(self) -> None:
        try:
            self.backend.heartbeat(self.run_id)
            self._last_write = time.monotonic()
        except Exception:
            pass

    def _start_encoding(self) -> Encoding:
        """Start encoding the media values at the front of the buffer (at most a batch's
        worth, by their held bytes)."""
        jobs: list[Job] = []
        size = 0
        while self.media and size < MEDIA_BATCH_BYTES and len(jobs) < MEDIA_BATCH_ITEMS:
            row = self.media.popleft()
            jobs.append(row[:5])
            size += row[5]
        return Encoding(jobs, size)

    def _encoded(self, encoding: Encoding) -> list[PendingBatch]:
        """The media batch and the histogram batch of a started encoding, once done. A value
        that failed to encode is warned about, naming its key and step, and dropped: the
        writer and the other values go on."""
        media: list[MediaItem] = []
        histograms: list[HistogramItem] = []
        for (key, _, step, _, _), result in zip(encoding.jobs, encoding.results(), strict=True):
            if isinstance(result, Exception):
                warnings.warn(
                    f"tracklog: {key!r} at step {step} could not be encoded and is not logged: "
                    f"{result!r}",
                    stacklevel=1,
                )
                continue
            for item in result:
                if isinstance(item, HistogramItem):
                    histograms.append(item)
                else:
                    media.append(item)
        with self._room:  # encoded: the values' own copies can go
            self.media_bytes -= encoding.held
            self._room.notify_all()
        out = [PendingBatch(uuid.uuid4().hex, media, "log_media")] if media else []
        if histograms:
            out.append(PendingBatch(uuid.uuid4().hex, histograms, "log_histograms"))
        return out

    def _collect(self) -> list[SeriesPoints]:
        rows = _drain(self.rows, BATCH_ROWS)
        tracks = _drain(self.tracks, BATCH_ROWS)
        batch = _columns(rows, self.last_values) if rows else []
        if tracks:
            batch += _track_columns(tracks)
        return batch


class _Flusher:
    """The daemon thread that flushes every live run's writer; it ends when there are none and
    the next run starts a new one."""

    def __init__(self) -> None:
        self._guard = threading.Lock()
        self._writers: dict[Writer, None] = {}  # insertion-ordered set
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None

    def add(self, writer: Writer) -> None:
        with self._guard:
            self._writers[writer] = None
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="tracklog-writer")
                self._thread.daemon = True
                self._thread.start()

    def remove(self, writer: Writer) -> None:
        with self._guard:
            self._writers.pop(writer, None)

    def serves(self, writer: Writer) -> bool:
        with self._guard:
            return writer in self._writers and self._thread is not None

    def wake(self) -> None:
        self._wake.set()

    def runs_here(self) -> bool:
        """Whether the calling thread is the flusher (which must never wait for itself)."""
        return threading.current_thread() is self._thread

    def _run(self) -> None:
        while True:
            self._wake.wait(FLUSH_INTERVAL)
            self._wake.clear()
            with self._guard:
                writers = list(self._writers)
                if not writers:
                    self._thread = None
                    return
            for writer in writers:
                writer.tick()


_flusher = _Flusher()


def _forget_parent_runs() -> None:
    """In a forked child, the parent's runs are the parent's to write (their rows would be
    written twice), and the parent's flusher thread does not exist here."""
    global _flusher
    _flusher = _Flusher()


os.register_at_fork(after_in_child=_forget_parent_runs)


_WHAT = {"append_metrics": "metrics", "log_media": "media", "log_histograms": "histograms"}


def _media_backlog_limit() -> int:
    raw = os.environ.get(MEDIA_BACKLOG_ENV, "").strip()
    if not raw:
        return MEDIA_BACKLOG_BYTES
    try:
        mib = float(raw)
    except ValueError:
        mib = -1.0
    if not mib > 0:  # also refuses NaN
        raise InvalidValueError(f"${MEDIA_BACKLOG_ENV} must be a number of MiB > 0, got {raw!r}")
    return int(mib * (1 << 20))


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
            flat = chain.from_iterable(rows[i][2].values() for i in index)
            matrix = np.fromiter(flat, np.float64, len(index) * len(keys))
        except OverflowError:  # an int beyond float64 slipped past log()'s quick check
            flat = chain.from_iterable(rows[i][2].values() for i in index)
            matrix = np.fromiter(map(_to_float, flat), np.float64, len(index) * len(keys))
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
