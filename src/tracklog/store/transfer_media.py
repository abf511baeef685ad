"""A run's media and histograms in a portable run folder (see :mod:`tracklog.store.transfer`):
``run.json`` lists the media index rows (``media``) and the histograms (``histograms``, arrays
as JSON numbers, which read back bit for bit), and ``media/`` holds every file of the run's
``media/`` folder (attachments included), each named by its content. Folders exported before
media existed have neither, and import as runs without media."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection

from tracklog.errors import InvalidValueError
from tracklog.store import media, media_rules, validation
from tracklog.store.records import HistogramItem, MediaItem

if TYPE_CHECKING:
    from tracklog.store.tracking import Store

MEDIA_FILES = media.MEDIA_DIR  # the folder of media files, in a run folder as in the store
_CONTENT_NAME = re.compile(r"([0-9a-f]{64})\.([a-z0-9]{1,8})")
_MEDIA_FIELDS = {"key", "context", "step", "time_ms", "kind", "path", "size", "meta"}
_HISTOGRAM_FIELDS = {"key", "context", "step", "time_ms", "edges", "counts"}


def read(conn: Connection, run_id: str) -> dict[str, list[dict[str, Any]]]:
    """The ``media`` and ``histograms`` entries of the run's ``run.json``."""
    return {
        "media": [vars(m) for m in media.read_media(conn, run_id, None, None)],
        "histograms": [
            {
                "key": h.key,
                "context": h.context,
                "step": h.step,
                "time_ms": h.time_ms,
                "edges": h.edges.tolist(),
                "counts": h.counts.tolist(),
            }
            for h in media.read_histograms(conn, run_id, None, None)
        ],
    }


def export_files(store: Store, run_root: str, dest: Path) -> None:
    """Copy the run's ``media/`` folder (if it has one) to ``dest/media/``."""
    if store.artifacts.listdir(run_root, MEDIA_FILES):
        store.artifacts.download(run_root, MEDIA_FILES, dest / MEDIA_FILES)


def check(doc: dict[str, Any]) -> dict[str, list[Any]]:
    """The checked ``media`` (as :class:`MediaItem` without bytes, with their paths and sizes)
    and ``histograms`` of ``run.json`` (absent: none); raises naming the entry."""
    items = []
    for m in _entries(doc, "media", _MEDIA_FIELDS):
        name = _content_name(m["path"].removeprefix(f"{MEDIA_FILES}/"), m["path"])
        if m["path"] != f"{MEDIA_FILES}/{name.group(0)}":
            raise InvalidValueError(f"media path {m['path']!r} is not media/<content name>")
        size = validation.integer(m["size"], f"size of {m['path']!r}")
        if size is None or not 0 <= size <= validation.MAX_MEDIA_BYTES:
            raise InvalidValueError(f"media {m['path']!r}: size {m['size']!r} is out of range")
        item = MediaItem(
            m["key"], m["context"], m["step"], m["time_ms"], m["kind"], b"", name[2], m["meta"]
        )
        items.append((media_rules.media_item(item), m["path"], size))
    histograms = [
        media_rules.histogram_item(
            HistogramItem(h["key"], h["context"], h["step"], h["time_ms"], h["edges"], h["counts"])
        )
        for h in _entries(doc, "histograms", _HISTOGRAM_FIELDS)
    ]
    return {"media": items, "histograms": histograms}


def check_files(folder: Path, checked: dict[str, list[Any]]) -> list[Path]:
    """The files of ``folder/media/``, each checked to hold the bytes its name says, and every
    listed media file among them with its listed size; raises naming the file."""
    files = sorted((folder / MEDIA_FILES).iterdir()) if (folder / MEDIA_FILES).is_dir() else []
    for path in files:
        name = _content_name(path.name, str(path))
        digest = hashlib.sha256()
        with open(path, "rb") as f:
            while chunk := f.read(1 << 20):
                digest.update(chunk)
        if digest.hexdigest() != name[1]:
            raise InvalidValueError(f"{path}: its bytes do not match its name (a changed file)")
    for _, rel, size in checked["media"]:
        local = folder / rel
        if not local.is_file() or local.stat().st_size != size:
            raise InvalidValueError(f"{local}: missing, or not {size} bytes as run.json says")
    return files


def insert(conn: Connection, run_id: str, checked: dict[str, list[Any]]) -> None:
    """Write the checked index rows and histograms of an imported run."""
    media.insert_rows(conn, run_id, checked["media"])
    media.insert_histograms(conn, run_id, checked["histograms"])


def write_files(store: Store, run_root: str, files: list[Path]) -> None:
    """Store the checked media files of an imported run under its ``media/``."""
    store.artifacts.write_new(run_root, MEDIA_FILES, ((p.name, p.read_bytes()) for p in files))


def _entries(doc: dict[str, Any], field: str, fields: set[str]) -> list[dict[str, Any]]:
    entries = doc.get(field, [])
    if not isinstance(entries, list):
        raise InvalidValueError(f"field {field!r} must be a list")
    for entry in entries:
        if not isinstance(entry, dict) or set(entry) != fields:
            raise InvalidValueError(
                f"{field} entry {entry!r:.200} needs {', '.join(sorted(fields))}"
            )
    return entries


def _content_name(name: str, where: str) -> re.Match[str]:
    found = _CONTENT_NAME.fullmatch(name)
    if found is None:
        raise InvalidValueError(f"{where}: not a media file name (<sha256>.<ext>)")
    return found
