"""The files of versioned artifacts, stored once per content digest under the artifact root
(``.blobs/<first two hex digits>/<sha256>``) and shared by every version and run."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import BinaryIO

from tracklog.errors import InvalidValueError, NotFoundError
from tracklog.store.artifact_manifest import sha256_hex
from tracklog.store.artifacts import ArtifactRepository

BLOBS = ".blobs"
CHUNK = 1 << 20


class ArtifactBlobs:
    """Content-addressed files on an :class:`ArtifactRepository`'s root."""

    def __init__(self, repo: ArtifactRepository) -> None:
        self.repo = repo
        # Confined once: the names below it are hex digests the store chose, never a user's.
        self.base = repo.under_root(BLOBS)
        self._staging: str | None = None

    def _path(self, sha256: str) -> str:
        sha256 = sha256_hex(sha256, "blob digest")
        return f"{self.base}/{sha256[:2]}/{sha256}"

    def has(self, sha256: str) -> bool:
        """Whether the blob of this digest is stored."""
        return bool(self.repo.fs.isfile(self._path(sha256)))

    def missing(self, digests: Iterable[str]) -> list[str]:
        """The digests (each once, in order) whose blobs are not stored yet."""
        return [d for d in dict.fromkeys(digests) if not self.has(d)]

    def put(self, sha256: str, chunks: Iterable[bytes]) -> bool:
        """Store the bytes of ``chunks`` as blob ``sha256`` unless it is there; False if it
        was. Bytes whose digest differs are refused and nothing is kept."""
        final = self._path(sha256)
        if self.repo.fs.isfile(final):
            return False
        self.repo.fs.makedirs(final.rsplit("/", 1)[0], exist_ok=True)
        if self._staging is None:  # the staging folder media writes share, found once
            self._staging = self.repo.staging("writes")
            self.repo.fs.makedirs(self._staging, exist_ok=True)
        self.repo.write_staged(_verified(chunks, sha256), final, self._staging)
        return True

    def put_file(self, sha256: str, source: Path) -> bool:
        """:meth:`put` of a local file's bytes."""
        with open(source, "rb") as f:
            return self.put(sha256, iter(lambda: f.read(CHUNK), b""))

    def open(self, sha256: str) -> BinaryIO:
        """The stored blob for reading."""
        full = self._path(sha256)
        if not self.repo.fs.isfile(full):
            raise NotFoundError(f"the artifact file with digest {sha256} is not stored")
        return self.repo.fs.open(full, "rb")


def _verified(chunks: Iterable[bytes], sha256: str) -> Iterator[bytes]:
    """``chunks`` as they come; raises at their end if their digest is not ``sha256``."""
    h = hashlib.sha256()
    for chunk in chunks:
        h.update(chunk)
        yield chunk
    if h.hexdigest() != sha256:
        raise InvalidValueError(
            f"artifact file content has digest {h.hexdigest()}, not the {sha256} it was "
            "sent as (was the file changed after it was added?)"
        )
