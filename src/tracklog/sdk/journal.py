"""An append-only, checksummed journal of a run's writes, for offline mode and ``tracklog sync``.

The records are :mod:`tracklog.store.wire` records, each flushed to the OS as it is written. A
process killed mid-write leaves at most one torn record at the end, which readers skip.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from tracklog.store.wire import Record, encode_record, iter_records

JOURNAL_FILE = "journal.bin"


class JournalWriter:
    """Appends records to ``folder/journal.bin``."""

    def __init__(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        self.folder = folder
        self._file = open(folder / JOURNAL_FILE, "ab")  # noqa: SIM115 - open for the run's life

    def append(self, op: str, args: dict[str, Any]) -> None:
        """Append one record and hand it to the OS (it survives the process being killed)."""
        self._file.write(encode_record(op, args))
        self._file.flush()

    def sync(self) -> None:
        """Force written records to disk."""
        os.fsync(self._file.fileno())

    def close(self) -> None:
        """Flush and close the journal file."""
        self._file.flush()
        self._file.close()


def read_records(path: Path, start: int = 0) -> Iterator[Record]:
    """The whole records of a journal from byte ``start`` (a torn last record is skipped)."""
    yield from iter_records(path.read_bytes(), start, f"journal {path}")
