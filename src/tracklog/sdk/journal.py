"""An append-only, checksummed journal of a run's writes, for offline mode and ``tracklog sync``.

Each record is ``<length u32><crc32 u32><payload>``; the payload is a JSON header line, then the
raw bytes of any metric arrays it names. A process killed mid-write leaves at most one torn
record at the end, which readers detect by its length or checksum and stop before.
"""

from __future__ import annotations

import json
import os
import struct
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from tracklog.errors import StoreError
from tracklog.store.series import SeriesPoints

_FRAME = struct.Struct("<II")
JOURNAL_FILE = "journal.bin"


@dataclass
class Record:
    """One journaled call: the store method ``op`` with keyword ``args``; ``offset`` follows it."""

    op: str
    args: dict[str, Any]
    end_offset: int


class JournalWriter:
    """Appends records to ``folder/journal.bin``; each record is flushed to the OS at once."""

    def __init__(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        self.folder = folder
        self._file = open(folder / JOURNAL_FILE, "ab")  # noqa: SIM115 - open for the run's life

    def append(self, op: str, args: dict[str, Any]) -> None:
        """Append one record; ``args["batch"]`` (a list of SeriesPoints) is stored as arrays."""
        batch = args.pop("batch", None)
        arrays: list[bytes] = []
        if batch is not None:
            args["batch"] = [[p.key, p.context, len(p.steps)] for p in batch]
            for p in batch:
                arrays += [
                    p.steps.astype("<i8").tobytes(),
                    p.values.astype("<f8").tobytes(),
                    p.timestamps.astype("<i8").tobytes(),
                ]
        header = json.dumps({"op": op, "args": args}, allow_nan=True).encode() + b"\n"
        payload = header + b"".join(arrays)
        self._file.write(_FRAME.pack(len(payload), zlib.crc32(payload)) + payload)
        self._file.flush()

    def sync(self) -> None:
        """Force written records to disk."""
        os.fsync(self._file.fileno())

    def close(self) -> None:
        """Flush and close the journal file."""
        self._file.flush()
        self._file.close()


def read_records(path: Path, start: int = 0) -> Iterator[Record]:
    """Yield the intact records of a journal from byte ``start``; stop at a torn tail.

    Raises :class:`StoreError` naming the file and offset if a record in the middle is corrupt.
    """
    data = path.read_bytes()
    pos = start
    while pos < len(data):
        if pos + _FRAME.size > len(data):
            return  # a torn frame header at the very end: the writer was killed mid-record
        length, crc = _FRAME.unpack_from(data, pos)
        body_start, body_end = pos + _FRAME.size, pos + _FRAME.size + length
        if body_end > len(data):
            return
        payload = data[body_start:body_end]
        if zlib.crc32(payload) != crc:
            if body_end == len(data):
                return
            raise StoreError(f"journal {path} is corrupt at byte {pos}: checksum mismatch")
        yield _decode(payload, body_end)
        pos = body_end


def _decode(payload: bytes, end: int) -> Record:
    header, _, rest = payload.partition(b"\n")
    msg = json.loads(header)
    args = msg["args"]
    if "batch" in args:
        batch, offset = [], 0
        for key, context, n in args["batch"]:
            parts = []
            for dtype in ("<i8", "<f8", "<i8"):
                parts.append(np.frombuffer(rest, dtype, n, offset).copy())
                offset += 8 * n
            batch.append(SeriesPoints(key, context, parts[0], parts[1], parts[2]))
        args["batch"] = batch
    return Record(msg["op"], args, end)
