"""Sending a run's journal to a tracklog server: in order, exactly once, in the background.

The journal (:mod:`tracklog.sdk.journal`) is the durable log of a run's writes; a marker file
beside it holds the byte offset up to which the server has applied it. The sender reads the
records after that offset and sends runs of them as one ``POST /api/v1/ingest`` body (the
journal's own bytes, up to :data:`REQUEST_BYTES`), uploads the files of ``log_artifact`` records
with PUT, and moves the marker only after the server accepted them. Metric batches and config
changes carry ids the server remembers and other writes are idempotent, so resending after a
lost answer is harmless. A record the server refuses (4xx) is set aside in ``rejected/``
instead of being retried forever; an unreachable or failing server is retried with exponential
backoff.
"""

from __future__ import annotations

import contextlib
import os
import random
import sys
import threading
import time
import warnings
from dataclasses import dataclass
from pathlib import Path

from tracklog.client.remote import RemoteStore
from tracklog.client.settings import ClientSettings
from tracklog.errors import (
    AuthenticationError,
    InvalidValueError,
    PermissionDeniedError,
    StoreError,
    TracklogError,
    retryable,
)
from tracklog.store.records import SeriesPoints
from tracklog.store.wire import FRAME, Record, encode_record, iter_records

REQUEST_BYTES = 4 << 20  # journal bytes per ingest request (well under the server's body limit)
REQUEST_RECORDS = 1000  # records per request (the server's default limit is 10,000)
SPLIT_POINTS = 1_000_000  # a metric batch larger than this travels in parts of this size
READ_BYTES = 32 << 20  # journal bytes read at a time
IDLE_WAIT = 1.0  # seconds the sender sleeps when nothing new was journaled
REJECTED_DIR = "rejected"


@dataclass(frozen=True)
class JournalFiles:
    """A run's journal folder: the journal, its marker, and ``folder`` (file copies named by
    ``log_artifact`` records are relative to it)."""

    folder: Path
    journal: Path
    marker: Path

    @property
    def rejected(self) -> Path:
        """Where refused records are kept, as a journal of their own."""
        return self.folder / REJECTED_DIR / self.journal.name


def read_offset(marker: Path) -> int:
    """The journal offset the server has applied up to: 0 without a marker, or with one that
    is unreadable (everything is sent again, and stored once)."""
    try:
        return max(0, int(marker.read_text()))
    except (FileNotFoundError, ValueError):
        return 0


def write_offset(marker: Path, offset: int) -> None:
    """Record the applied offset; the marker is replaced whole, never left half-written."""
    partial = marker.with_name(marker.name + ".tmp")
    partial.write_text(str(offset))
    os.replace(partial, marker)


def retry_later(exc: BaseException) -> bool:
    """Whether a failed send is retried: what every writer retries (the server unreachable or
    unable to serve now, :func:`~tracklog.errors.retryable`), and credentials it refused (which
    may be fixed while the run goes on), as opposed to refusing what was sent."""
    return retryable(exc) or isinstance(exc, AuthenticationError | PermissionDeniedError)


class JournalSender:
    """Sends the unsent records of one journal; with ``set_aside`` False a refused record
    raises instead (``tracklog sync``). Not thread-safe: one thread sends."""

    def __init__(self, remote: RemoteStore, files: JournalFiles, set_aside: bool) -> None:
        self.remote = remote
        self.files = files
        self.set_aside = set_aside
        self.offset = read_offset(files.marker)
        self.run_id: str | None = None
        self.applied = 0  # records the server accepted in this session
        self.refused = 0  # records set aside
        self.first_refusal: str | None = None

    def pending_bytes(self) -> int:
        """Journal bytes not yet applied by the server."""
        try:
            return max(0, self.files.journal.stat().st_size - self.offset)
        except FileNotFoundError:
            return 0

    def send_available(self) -> None:
        """Send every whole record after the marker.

        Raises what :func:`retry_later` accepts when the server cannot take them now; raises
        :class:`InvalidValueError` for a corrupt journal, and for a refused record when
        ``set_aside`` is False.
        """
        while True:
            base, data = self.offset, self._read()
            try:
                records = list(iter_records(data, 0, f"journal {self.files.journal}"))
            except StoreError as exc:  # bad bytes in the file: retrying cannot help
                raise InvalidValueError(str(exc)) from None
            if not records:
                return
            group: list[tuple[int, Record]] = []
            start = 0
            for record in records:
                if record.op == "log_artifact" or _too_many_points(record):
                    self._send_group(data, base, group)
                    group = []
                    self._send_alone(data, base, start, record)
                else:
                    size = record.end_offset - (group[0][0] if group else start)
                    if group and (size > REQUEST_BYTES or len(group) >= REQUEST_RECORDS):
                        self._send_group(data, base, group)
                        group = []
                    group.append((start, record))
                start = record.end_offset
            self._send_group(data, base, group)

    def _read(self) -> bytes:
        try:
            with open(self.files.journal, "rb") as f:
                f.seek(self.offset)
                data = f.read(READ_BYTES)
                if len(data) >= FRAME.size:
                    whole = FRAME.size + FRAME.unpack_from(data)[0]
                    if whole > len(data):  # one record larger than a read
                        data += f.read(whole - len(data))
                return data
        except FileNotFoundError:
            return b""

    def _send_group(self, data: bytes, base: int, group: list[tuple[int, Record]]) -> None:
        if not group:
            return
        lo, hi = group[0][0], group[-1][1].end_offset
        try:
            self.remote.ingest(data[lo:hi])
        except TracklogError as exc:
            if retry_later(exc):
                raise
            if len(group) > 1:  # find the refused record: the others are applied (again)
                for item in group:
                    self._send_group(data, base, [item])
                return
            self._refuse(data[lo:hi], group[0][1], exc)
        else:
            self.applied += len(group)
        self._advance(base + hi, group[-1][1])

    def _send_alone(self, data: bytes, base: int, start: int, record: Record) -> None:
        """A record that is not ingested as it is: a file upload, or a huge metric batch."""
        try:
            if record.op == "log_artifact":
                args = record.args
                source = self.files.folder / args["source"]
                self.remote.log_artifact(args["run_id"], source, args["dest"])
            else:
                for part in _split(record):
                    self.remote.ingest(part)
        except (TracklogError, KeyError, TypeError) as exc:
            if retry_later(exc):
                raise
            self._refuse(data[start : record.end_offset], record, exc)
        else:
            self.applied += 1
        self._advance(base + record.end_offset, record)

    def _advance(self, offset: int, last: Record) -> None:
        self.run_id = last.args.get("run_id", self.run_id)
        write_offset(self.files.marker, offset)
        self.offset = offset

    def _refuse(self, raw: bytes, record: Record, exc: BaseException) -> None:
        if not self.set_aside:
            kind = type(exc) if isinstance(exc, TracklogError) else InvalidValueError
            raise kind(f"{self.files.folder}: {exc}") from exc
        if record.op == "log_artifact":  # its file copy stays beside the original journal
            source = "../" + str(record.args.get("source"))
            raw = encode_record(record.op, {**record.args, "source": source})
        path = self.files.rejected
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path, "ab") as out:
            out.write(raw)
            out.flush()
            os.fsync(out.fileno())
        self.refused += 1
        if self.first_refusal is None:
            self.first_refusal = f"{record.op}: {exc}"
            warnings.warn(
                f"tracklog: the server at {self.remote.url} refused {record.op} of run "
                f"{record.args.get('run_id')} ({exc}); it was saved to {path.parent} and "
                "sending goes on with the next record",
                stacklevel=1,
            )


def _too_many_points(record: Record) -> bool:
    return sum(len(p.steps) for p in record.args.get("batch", ())) > SPLIT_POINTS


def _split(record: Record) -> list[bytes]:
    """A large metric batch as records of at most :data:`SPLIT_POINTS` points, each with an id
    derived from the batch's (so each part is applied once however often it is sent)."""
    parts: list[list[SeriesPoints]] = [[]]
    room = SPLIT_POINTS
    for p in record.args["batch"]:
        start = 0
        while start < len(p.steps):
            if room == 0:
                parts.append([])
                room = SPLIT_POINTS
            end = min(len(p.steps), start + room)
            piece = slice(start, end)
            parts[-1].append(
                SeriesPoints(p.key, p.context, p.steps[piece], p.values[piece], p.timestamps[piece])
            )
            room -= end - start
            start = end
    batch_id = record.args.get("batch_id")
    return [
        encode_record(
            record.op,
            {**record.args, "batch": part, "batch_id": batch_id and f"{batch_id}:{i}"},
        )
        for i, part in enumerate(parts)
    ]


def send_journal(remote: RemoteStore, files: JournalFiles) -> tuple[str | None, int]:
    """Send what the server has not applied of a journal, once (``tracklog sync``); return
    the run id and the number of records applied. A refused record raises, naming the
    folder, and is sent again by the next sync."""
    sender = JournalSender(remote, files, set_aside=False)
    sender.send_available()
    return sender.run_id, sender.applied


class Sender(threading.Thread):
    """Sends a live run's journal from a daemon thread; ``log()`` never waits for it."""

    def __init__(
        self, remote: RemoteStore, files: JournalFiles, settings: ClientSettings, run_id: str
    ) -> None:
        super().__init__(name=f"tracklog-sender-{run_id[:8]}", daemon=True)
        self.journal = JournalSender(remote, files, set_aside=True)
        self.remote = remote
        self.run_id = run_id
        self.settings = settings
        self.error: BaseException | None = None  # why sending fails right now (None: it works)
        self.broken: BaseException | None = None  # the journal cannot be sent at all
        self._wake = threading.Event()  # new records were journaled
        self._hurry = threading.Event()  # someone waits for the backlog: shorten the backoff
        self._stopping = threading.Event()
        self._progress = threading.Condition()
        self._heartbeat_due = False

    def wake(self) -> None:
        """New records are in the journal."""
        self._wake.set()

    def request_heartbeat(self) -> None:
        """Tell the server the run is alive, once what is journaled has been sent."""
        self._heartbeat_due = True
        self._wake.set()

    def drained(self) -> bool:
        """Whether the server has applied everything journaled so far."""
        return self.journal.pending_bytes() == 0

    def run(self) -> None:
        delay = self.settings.retry_min
        while not self._stopping.is_set():
            try:
                self.journal.send_available()
            except Exception as exc:
                if not retry_later(exc):
                    self.broken = exc
                    warnings.warn(
                        f"tracklog: cannot send run {self.run_id} to {self.remote.url}: {exc}",
                        stacklevel=1,
                    )
                    self._notify()
                    return
                self._failed(exc)
                # Jitter keeps many clients of a restarted server from retrying in step.
                wait = delay * random.uniform(0.5, 1.0)
                if self._hurry.is_set():
                    self._stopping.wait(min(wait, self.settings.retry_min))
                else:
                    self._hurry.wait(wait)
                delay = min(delay * 2, self.settings.retry_max)
                continue
            if self.error is not None:
                print(
                    f"tracklog: the server at {self.remote.url} is reachable again; "
                    f"sending run {self.run_id}'s backlog",
                    file=sys.stderr,
                )
                self.error = None
            delay = self.settings.retry_min
            self._notify()
            if self._heartbeat_due:
                self._heartbeat()
            self._wake.wait(IDLE_WAIT)
            self._wake.clear()

    def _heartbeat(self) -> None:
        self._heartbeat_due = False
        # Best effort: a missed heartbeat costs nothing that the next write does not repair.
        with contextlib.suppress(TracklogError):
            self.remote.heartbeat(self.run_id)

    def _failed(self, exc: BaseException) -> None:
        if self.error is None:
            warnings.warn(
                f"tracklog: sending run {self.run_id} to {self.remote.url} failed ({exc}); "
                f"logging goes on into {self.journal.files.folder} and is sent when the server "
                "answers again",
                stacklevel=1,
            )
        self.error = exc
        self._notify()

    def _notify(self) -> None:
        with self._progress:
            self._progress.notify_all()

    def wait_drained(self, timeout: float) -> bool:
        """Wait up to ``timeout`` seconds for the server to apply everything journaled so far
        (retrying at the shortest backoff meanwhile); return whether it did."""
        deadline = time.monotonic() + timeout
        self._hurry.set()
        self._wake.set()
        try:
            with self._progress:
                while not self.drained():
                    left = deadline - time.monotonic()
                    if left <= 0 or self.broken is not None or not self.is_alive():
                        return False
                    self._progress.wait(min(left, 0.1))
            return True
        finally:
            self._hurry.clear()

    def close(self, timeout: float) -> bool:
        """Wait up to ``timeout`` seconds for the backlog, then stop; return whether it was
        all sent. An upload in flight is left to finish in the background."""
        drained = self.wait_drained(timeout)
        self._stopping.set()
        self._hurry.set()
        self._wake.set()
        self.join(1.0)
        return drained
