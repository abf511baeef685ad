"""A version's manifest: its entries checked, and the digest that says whether two versions
hold the same content."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable

from tracklog.errors import InvalidValueError
from tracklog.store.artifact_records import ManifestEntry
from tracklog.store.artifacts import safe_relpath

MAX_ENTRIES = 1_000_000
MAX_REF = 4096
_SHA256 = re.compile(r"^[0-9a-f]{64}$")


def sha256_hex(value: object, what: str) -> str:
    """A lowercase hex SHA-256 digest, or a clear error naming ``what`` carries it."""
    if not isinstance(value, str) or not _SHA256.match(value):
        raise InvalidValueError(f"{what} must be a lowercase hex SHA-256 digest, got {value!r}")
    return value


def checked(entries: Iterable[ManifestEntry]) -> list[ManifestEntry]:
    """The entries by path, each path safe and given once; a stored file has a digest and a
    size, a reference a URI (its digest and size where known)."""
    out: dict[str, ManifestEntry] = {}
    for entry in entries:
        path = safe_relpath(entry.path)
        if path in out:
            raise InvalidValueError(f"artifact entry {path!r} is given twice")
        if entry.ref is not None and (not isinstance(entry.ref, str) or not entry.ref.strip()):
            raise InvalidValueError(f"artifact entry {path!r}: a reference must be a URI")
        if entry.ref is not None and len(entry.ref) > MAX_REF:
            raise InvalidValueError(f"artifact entry {path!r}: its URI is over {MAX_REF} chars")
        if entry.ref is None or entry.sha256 is not None:
            sha256_hex(entry.sha256, f"the digest of artifact entry {path!r}")
        size = entry.size
        if (entry.ref is None or size is not None) and (
            not isinstance(size, int) or isinstance(size, bool) or size < 0
        ):
            raise InvalidValueError(f"artifact entry {path!r}: size must be an int >= 0")
        out[path] = ManifestEntry(path, entry.sha256, size, entry.ref)
        if len(out) > MAX_ENTRIES:
            raise InvalidValueError(f"an artifact version holds at most {MAX_ENTRIES} entries")
    return [out[p] for p in sorted(out)]


def digest(entries: Iterable[ManifestEntry]) -> str:
    """The SHA-256 of the manifest (entries by path): equal exactly when paths, contents and
    references are."""
    rows = sorted([e.path, e.sha256, e.size, e.ref] for e in entries)
    return hashlib.sha256(json.dumps(rows, separators=(",", ":")).encode()).hexdigest()
