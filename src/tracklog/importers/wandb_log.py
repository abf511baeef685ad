"""The records of a W&B transaction log (``run-<id>.wandb``), checked record by record.

The file is a LevelDB-style log: a 7-byte header (``:W&B``, magic, version), then 32 KiB
blocks of chunks, each with a CRC-32 (seeded with the chunk type), a length and a type (full,
first, middle, last). Each reassembled record is a ``wandb.proto.wandb_internal_pb2.Record``.
wandb 0.31 reads these files only in its Go core, so the framing is read here and the records
with wandb's own protobuf classes. Any damage (a torn or corrupt chunk, a bad record) raises
:class:`ImportSourceError` naming the file and offset.
"""

from __future__ import annotations

import struct
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from tracklog.importers.imported_run import ImportSourceError, require

_IDENT, _MAGIC, _VERSION = b":W&B", 0xBEE1, 0
_HEADER = struct.Struct("<4sHB")
_CHUNK = struct.Struct("<IHB")
_BLOCK = 32768
_FULL, _FIRST, _MIDDLE, _LAST = 1, 2, 3, 4
_SEED = {t: zlib.crc32(bytes([t])) for t in (_FULL, _FIRST, _MIDDLE, _LAST)}


def read_records(path: Path) -> Iterator[Any]:
    """Every record of the log at ``path``, in order, as wandb protobuf ``Record`` objects."""
    pb = require("wandb.proto.wandb_internal_pb2", "wandb", "W&B runs")
    from google.protobuf.message import DecodeError

    for offset, raw in _payloads(path):
        record = pb.Record()
        try:
            record.ParseFromString(raw)
        except DecodeError as exc:
            raise ImportSourceError(
                f"{path}: the record at byte {offset} is corrupt: {exc}"
            ) from None
        yield record


def _payloads(path: Path) -> Iterator[tuple[int, bytes]]:
    """(offset, bytes) of each record, its chunks joined and their checksums checked."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ImportSourceError(f"{path}: cannot be read: {exc}") from None
    if len(data) < _HEADER.size:
        raise ImportSourceError(f"{path}: too short for a W&B transaction log header")
    ident, magic, version = _HEADER.unpack_from(data)
    if ident != _IDENT or magic != _MAGIC:
        raise ImportSourceError(f"{path}: not a W&B transaction log (bad header)")
    if version != _VERSION:
        raise ImportSourceError(f"{path}: W&B log format version {version} is not supported")
    pos, start = _HEADER.size, 0
    parts: list[bytes] = []  # the chunks of the record being joined
    while pos < len(data):
        left = _BLOCK - pos % _BLOCK
        if left < _CHUNK.size:  # a block's tail too short for a chunk header is padding
            pos += left
            continue
        if pos + _CHUNK.size > len(data):
            raise ImportSourceError(f"{path}: truncated at byte {pos} (a torn chunk header)")
        crc, length, kind = _CHUNK.unpack_from(data, pos)
        body = data[pos + _CHUNK.size : pos + _CHUNK.size + length]
        if kind not in _SEED or len(body) != length or zlib.crc32(body, _SEED[kind]) != crc:
            what = "truncated" if len(body) != length else "corrupt"
            raise ImportSourceError(f"{path}: {what} at byte {pos} (a chunk fails its checksum)")
        if kind in (_FULL, _FIRST) and parts:
            raise ImportSourceError(f"{path}: corrupt at byte {pos} (a record is cut short)")
        if kind in (_MIDDLE, _LAST) and not parts:
            raise ImportSourceError(f"{path}: corrupt at byte {pos} (a record has no start)")
        if kind in (_FULL, _FIRST):
            start = pos
        parts.append(body)
        pos += _CHUNK.size + length
        if kind in (_FULL, _LAST):
            yield start, b"".join(parts)
            parts = []
    if parts:
        raise ImportSourceError(f"{path}: truncated at byte {pos} (the last record is incomplete)")
