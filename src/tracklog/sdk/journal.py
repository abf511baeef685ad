"""An append-only, checksummed journal of a run's writes, for offline mode and ``tracklog sync``.

The records are :mod:`tracklog.store.wire` records, each flushed to the OS as it is written. A
process killed mid-write leaves at most one torn record at the end, which readers skip.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from tracklog.errors import TracklogError
from tracklog.store.wire import Record, encode_record, iter_records

JOURNAL_FILE = "journal.bin"
MARKER_FILE = "synced-offset"  # beside the journal: the offset applied to the store so far


class JournalWriter:
    """Appends records to ``folder/journal.bin``, each one whole or not at all."""

    def __init__(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        self.folder = folder
        self._lock = threading.Lock()  # the writer thread and the script's thread both append
        self._fd: int | None = os.open(
            folder / JOURNAL_FILE, os.O_WRONLY | os.O_APPEND | os.O_CREAT
        )
        _cut_torn_tail(self._fd, folder / JOURNAL_FILE)

    def append(self, op: str, args: dict[str, Any]) -> None:
        """Append one record; it survives the process being killed once this returns.

        A write that fails part-way (a full disk) is cut off again, so the journal never holds
        a torn record followed by good ones.
        """
        data = encode_record(op, args)
        with self._lock:
            if self._fd is None:
                raise ValueError(f"journal in {self.folder} is closed")
            size = os.fstat(self._fd).st_size
            try:
                written = os.write(self._fd, data)
                while written < len(data):
                    step = os.write(self._fd, data[written:])
                    if step == 0:
                        raise OSError(f"journal in {self.folder}: the disk took no more bytes")
                    written += step
            except BaseException:
                os.ftruncate(self._fd, size)
                raise

    def sync(self) -> None:
        """Force written records to disk."""
        if self._fd is not None:
            os.fsync(self._fd)

    def close(self) -> None:
        """Close the journal file (again is fine)."""
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None


def _cut_torn_tail(fd: int, path: Path) -> None:
    """Drop the torn record a killed process left at the end of a journal being reopened (a
    resumed run), so the records appended now follow whole ones."""
    if os.fstat(fd).st_size == 0:
        return
    data = path.read_bytes()
    end = 0
    try:
        for record in iter_records(data, 0, f"journal {path}"):
            end = record.end_offset
    except TracklogError:
        return  # corrupt in the middle: leave it for sync to name
    if end < len(data):
        os.ftruncate(fd, end)


def read_records(path: Path, start: int = 0) -> Iterator[Record]:
    """The whole records of a journal from byte ``start`` (a torn last record is skipped)."""
    yield from iter_records(path.read_bytes(), start, f"journal {path}")
