"""Multipart uploads of one artifact file (MLflow's proxied multipart upload).

Parts arrive as separate requests, in any order and in parallel, each written to the staging
folder under the artifact root; the file is joined from them only when the upload completes
(:meth:`ArtifactRepository.write` then puts it in place whole), and aborting removes them, so
an unfinished upload never shows as an artifact. An upload neither completed nor aborted (its
client went away) is removed by :meth:`MultipartUploads.expire` once untouched for long enough.
The state is files, so every server worker and process sees the same uploads.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import posixpath
import secrets
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from tracklog.errors import InvalidValueError, NotFoundError, RequestTooLargeError
from tracklog.store.artifacts import ArtifactRepository, safe_relpath

MAX_PARTS = 10_000  # as S3's multipart uploads
_CHUNK = 1 << 20


@dataclass(frozen=True)
class Upload:
    """An upload in progress: the artifact path it will store and how many parts it has."""

    path: str
    num_parts: int


class MultipartUploads:
    """The multipart uploads in progress under one artifact repository."""

    def __init__(self, repo: ArtifactRepository) -> None:
        self.repo = repo
        self.fs = repo.fs

    def create(self, path: str, num_parts: int) -> str:
        """Start an upload of ``num_parts`` parts for artifact ``path``; return its id, an
        unguessable secret (whoever holds it may send parts)."""
        if not 0 <= num_parts <= MAX_PARTS:
            raise InvalidValueError(f"num_parts must be between 0 and {MAX_PARTS}, got {num_parts}")
        upload_id = secrets.token_urlsafe(32)
        meta = {"path": safe_relpath(path), "num_parts": num_parts}
        self.fs.makedirs(posixpath.dirname(self._file(upload_id, "upload.json")), exist_ok=True)
        with self.fs.open(self._file(upload_id, "upload.json"), "w") as out:
            json.dump(meta, out)
        return upload_id

    def get(self, upload_id: str) -> Upload:
        """The upload ``upload_id``; :class:`NotFoundError` if it is unknown, completed or
        aborted."""
        meta = self._file(upload_id, "upload.json")
        if not self.fs.isfile(meta):
            raise NotFoundError("no such multipart upload (unknown, completed or aborted)")
        with self.fs.open(meta, "r") as handle:
            found = json.load(handle)
        return Upload(found["path"], found["num_parts"])

    def write_part(
        self, upload_id: str, number: int, chunks: Iterable[bytes], max_bytes: int
    ) -> int:
        """Store part ``number`` (1-based; sending it again replaces it); return its size.
        The upload's parts together may hold at most ``max_bytes``: a part that would pass it
        is refused and not kept, so an upload id cannot fill the disk."""
        upload = self.get(upload_id)
        if not 1 <= number <= upload.num_parts:
            raise InvalidValueError(
                f"part number must be between 1 and {upload.num_parts}, got {number}"
            )
        others = sum(
            self.fs.size(f)
            for n in range(1, upload.num_parts + 1)
            if n != number and self.fs.isfile(f := self._file(upload_id, f"part-{n}"))
        )
        bounded = _at_most(chunks, max_bytes - others, max_bytes)
        return self.repo.write_staged(bounded, self._file(upload_id, f"part-{number}"))

    def joined(self, upload_id: str, numbers: list[int], max_bytes: int) -> Iterator[bytes]:
        """The bytes of parts ``numbers``, in order: they must be every part of the upload,
        each received, and together at most ``max_bytes``."""
        upload = self.get(upload_id)
        if sorted(numbers) != list(range(1, upload.num_parts + 1)):
            raise InvalidValueError(
                f"the parts to complete must be 1 to {upload.num_parts}, each once, "
                f"got {sorted(numbers)[:20]}"
            )
        files = [self._file(upload_id, f"part-{n}") for n in numbers]
        missing = [n for n, f in zip(numbers, files, strict=True) if not self.fs.isfile(f)]
        if missing:
            raise InvalidValueError(f"parts {missing[:20]} of the upload were never received")
        total = sum(self.fs.size(f) for f in files)
        if total > max_bytes:
            raise InvalidValueError(
                f"the uploaded file has {total} bytes, over the server's limit of {max_bytes} "
                "(tracklog server --max-artifact-bytes)"
            )
        return self._read(files)

    def _read(self, files: list[str]) -> Iterator[bytes]:
        for name in files:
            with self.fs.open(name, "rb") as handle:
                while chunk := handle.read(_CHUNK):
                    yield chunk

    def remove(self, upload_id: str) -> None:
        """Forget the upload and delete its parts (nothing if it is gone already)."""
        folder = posixpath.dirname(self._file(upload_id, "upload.json"))
        if self.fs.exists(folder):
            self.fs.rm(folder, recursive=True)

    def expire(self, max_age: float) -> int:
        """Remove the uploads whose files (start and parts) were all written more than
        ``max_age`` seconds ago; return how many. Safe while other processes do the same."""
        cutoff = time.time() - max_age
        removed = 0
        for folder in self._ls(self.repo.staging("mpu")):
            # An upload's folder without files is being created (or was left by a crash).
            stamps = [self.fs.modified(f).timestamp() for f in self._ls(folder)]
            if max(stamps, default=cutoff) < cutoff:
                with contextlib.suppress(FileNotFoundError):  # another worker was first
                    self.fs.rm(folder, recursive=True)
                    removed += 1
        return removed

    def _ls(self, folder: str) -> list[str]:
        try:
            return list(self.fs.ls(folder, detail=False))
        except FileNotFoundError:
            return []

    def _file(self, upload_id: str, name: str) -> str:
        # The folder is named by a hash of the id: the secret itself is not written anywhere.
        key = hashlib.sha256(upload_id.encode()).hexdigest()[:32]
        return self.repo.staging(f"mpu/{key}/{name}")


def _at_most(chunks: Iterable[bytes], room: int, max_bytes: int) -> Iterator[bytes]:
    size = 0
    for chunk in chunks:
        size += len(chunk)
        if size > room:
            raise RequestTooLargeError(
                f"the parts of this upload would pass the server's limit of {max_bytes} bytes "
                "per artifact (tracklog server --max-artifact-bytes)"
            )
        yield chunk
