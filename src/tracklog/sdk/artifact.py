"""``tracklog.Artifact``: a versioned set of files (W&B's Artifact). Build one, log it with
``run.log_artifact(artifact, aliases=[...])``; ``run.use_artifact("name:alias")`` and
``Api().artifact("project/name:alias")`` return logged ones to download and verify."""

from __future__ import annotations

import contextlib
import hashlib
import os
import shutil
import tempfile
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any
from urllib.parse import urlparse

from tracklog.errors import InvalidValueError, NotFoundError, TracklogError
from tracklog.store import artifact_names
from tracklog.store.artifact_records import ArtifactVersion, ManifestEntry
from tracklog.store.artifacts import safe_relpath, upload_plan

if TYPE_CHECKING:
    from tracklog.store.artifact_store import ArtifactVersionStore

_CHUNK = 1 << 20


class Artifact:
    """Files (and references to files elsewhere) that are logged together as one version."""

    def __init__(
        self,
        name: str,
        type: str,
        description: str | None = None,
        metadata: dict[str, Any] | None = None,
    ) -> None:
        self.name = artifact_names.artifact_name(name)
        self.type = artifact_names.artifact_type(type)
        self.description = description
        self.metadata: dict[str, Any] = dict(metadata or {})
        self._entries: dict[str, ManifestEntry] = {}
        self._sources: dict[str, Path] = {}  # digest → a local file with those bytes
        self._scratch: tempfile.TemporaryDirectory[str] | None = None
        self._store: ArtifactVersionStore | None = None
        self._logged: ArtifactVersion | None = None

    def __repr__(self) -> str:
        where = f":v{self._logged.version}" if self._logged else " (not logged)"
        return f"<Artifact {self.name}{where} type={self.type}>"

    # -- building -------------------------------------------------------------------------

    def add_file(
        self, local_path: str | os.PathLike[str], name: str | None = None
    ) -> ManifestEntry:
        """Add a local file as ``name`` (default: its file name)."""
        self._check_draft()
        source = Path(local_path)
        if not source.is_file():
            raise NotFoundError(f"add_file: {str(source)!r} is not a file")
        return self._add(safe_relpath(name or source.name), source)

    def add_dir(self, local_path: str | os.PathLike[str], name: str | None = None) -> None:
        """Add every file under a local folder, at its path inside it (under ``name``)."""
        self._check_draft()
        source = Path(local_path)
        if not source.is_dir():
            raise NotFoundError(f"add_dir: {str(source)!r} is not a folder")
        plan = upload_plan(source, name or "_")  # "_/" stands for the folder itself
        # hashlib releases the GIL: a folder's files are hashed on several threads at once.
        with ThreadPoolExecutor(min(8, os.cpu_count() or 1)) as pool:
            digests = list(pool.map(_file_digest, [path for path, _ in plan]))
        for (path, rel), sha256 in zip(plan, digests, strict=True):
            self._add(rel if name else rel[2:], path, sha256)

    def add_reference(self, uri: str, name: str | None = None) -> ManifestEntry:
        """Record a file kept elsewhere (``file://``, ``s3://``, any fsspec URI) without
        copying it; a local file's digest and size are recorded too."""
        self._check_draft()
        if not isinstance(uri, str) or "://" not in uri:
            raise InvalidValueError(f"add_reference: {uri!r} is not a URI (scheme://...)")
        parsed = urlparse(uri)
        path = safe_relpath(name or os.path.basename(parsed.path.rstrip("/")) or parsed.netloc)
        sha256 = size = None
        if parsed.scheme == "file":
            local = Path(parsed.path)
            if not local.is_file():
                raise NotFoundError(f"add_reference: {uri!r} names no file")
            sha256, size = _file_digest(local), local.stat().st_size
        entry = ManifestEntry(path, sha256, size, uri)
        self._entries[path] = entry
        return entry

    @contextlib.contextmanager
    def new_file(
        self, name: str, mode: str = "x", encoding: str | None = None
    ) -> Iterator[IO[Any]]:
        """Write a new file of the artifact: ``with artifact.new_file("a.txt") as f: ...``."""
        self._check_draft()
        path = safe_relpath(name)
        if self._scratch is None:
            self._scratch = tempfile.TemporaryDirectory(prefix="tracklog-artifact-")
        target = Path(self._scratch.name) / path
        target.parent.mkdir(parents=True, exist_ok=True)
        with open(target, mode, encoding=encoding) as f:
            yield f
        self._add(path, target)

    def remove(self, name: str) -> None:
        """Remove an entry, or every entry under a folder ``name``."""
        self._check_draft()
        path = safe_relpath(name)
        gone = [p for p in self._entries if p == path or p.startswith(f"{path}/")]
        if not gone:
            raise NotFoundError(f"artifact {self.name!r} has no entry {path!r}")
        for p in gone:
            del self._entries[p]

    def get_entry(self, name: str) -> ManifestEntry:
        """The entry at path ``name``."""
        entry = self._entries.get(safe_relpath(name))
        if entry is None:
            raise NotFoundError(f"artifact {self.name!r} has no entry {name!r}")
        return entry

    def _add(self, path: str, source: Path, sha256: str | None = None) -> ManifestEntry:
        sha256 = sha256 or _file_digest(source)
        entry = ManifestEntry(path, sha256, source.stat().st_size)
        self._entries[path] = entry
        self._sources[sha256] = source
        return entry

    def _check_draft(self) -> None:
        if self._logged is not None:
            raise TracklogError(
                f"artifact {self.name}:v{self._logged.version} is logged and cannot change; "
                "build a new Artifact for a new version"
            )

    # -- logged versions ------------------------------------------------------------------

    @classmethod
    def _of(cls, store: ArtifactVersionStore, version: ArtifactVersion) -> Artifact:
        art = cls(version.name, version.type, version.description, version.metadata)
        art._attach(store, version)
        return art

    def _attach(self, store: ArtifactVersionStore, version: ArtifactVersion) -> None:
        self._store, self._logged = store, version
        self._entries = {e.path: e for e in store.artifact_files(version)}
        if self._scratch is not None:
            self._scratch.cleanup()
            self._scratch = None
        self._sources = {}

    def _stored(self) -> tuple[ArtifactVersionStore, ArtifactVersion]:
        if self._store is None or self._logged is None:
            raise TracklogError(f"artifact {self.name!r} is not logged yet")
        return self._store, self._logged

    @property
    def version(self) -> str | None:
        """``vN`` once logged, else None."""
        return None if self._logged is None else f"v{self._logged.version}"

    @property
    def digest(self) -> str | None:
        """The digest of the logged manifest."""
        return None if self._logged is None else self._logged.digest

    @property
    def project(self) -> str | None:
        """The project the version is logged in."""
        return None if self._logged is None else self._logged.project

    @property
    def qualified_name(self) -> str:
        """``name:vN`` once logged, else the name."""
        return self.name if self._logged is None else self._logged.qualified_name

    @property
    def aliases(self) -> list[str]:
        """The version's aliases; setting them saves them (``latest`` stays on the newest)."""
        return [] if self._logged is None else list(self._logged.aliases)

    @aliases.setter
    def aliases(self, values: list[str]) -> None:
        store, version = self._stored()
        self._logged = store.set_artifact_aliases(version, values)

    def wait(self) -> Artifact:
        """W&B's wait for a logged version: logging here is complete when ``log_artifact``
        returns, so this only checks that it was logged."""
        self._stored()
        return self

    def files(self) -> list[ManifestEntry]:
        """The entries, by path."""
        return [self._entries[p] for p in sorted(self._entries)]

    def logged_by(self) -> str | None:
        """The id of the run that logged this version (None once that run is purged)."""
        return self._stored()[1].run_id

    def used_by(self) -> list[str]:
        """The ids of the runs that used this version."""
        store, version = self._stored()
        return store.artifact_users(version)

    def download(self, root: str | os.PathLike[str] | None = None) -> Path:
        """Copy every file to ``root`` (default ``./artifacts/name:vN``), each checked
        against its digest; return ``root``."""
        store, version = self._stored()
        target = Path(root) if root is not None else Path("artifacts") / version.qualified_name
        for entry in self.files():
            dest = target / entry.path
            dest.parent.mkdir(parents=True, exist_ok=True)
            if entry.ref is None:
                assert entry.sha256 is not None  # a stored entry always has one
                with store.open_artifact_blob(entry.sha256) as src:
                    _copy_checked(src, dest, entry)
            else:
                _fetch_reference(entry, dest)
        return target

    def verify(self, root: str | os.PathLike[str] | None = None) -> None:
        """Check that the files under ``root`` (default as in :meth:`download`) are exactly
        this version's: each present with its digest, none extra."""
        _, version = self._stored()
        base = Path(root) if root is not None else Path("artifacts") / version.qualified_name
        found = {p.relative_to(base).as_posix() for p in base.rglob("*") if p.is_file()}
        extra = sorted(found - set(self._entries))
        if extra:
            raise InvalidValueError(f"{str(base)!r} holds files not in the artifact: {extra[:5]}")
        for entry in self.files():
            local = base / entry.path
            if not local.is_file():
                raise InvalidValueError(f"{str(local)!r} is missing")
            if entry.sha256 is not None and _file_digest(local) != entry.sha256:
                raise InvalidValueError(f"{str(local)!r} does not match its digest {entry.sha256}")


def _file_digest(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(_CHUNK):
            h.update(chunk)
    return h.hexdigest()


def _copy_checked(src: IO[bytes], dest: Path, entry: ManifestEntry) -> None:
    """Copy ``src`` to ``dest`` through a temporary file kept only if its digest matches."""
    h = hashlib.sha256()
    partial = dest.with_name(f".{dest.name}.partial")
    try:
        with open(partial, "wb") as out:
            while chunk := src.read(_CHUNK):
                h.update(chunk)
                out.write(chunk)
        if h.hexdigest() != entry.sha256:
            raise InvalidValueError(
                f"artifact file {entry.path!r} has digest {h.hexdigest()} in the store, not "
                f"{entry.sha256}: the stored copy is damaged"
            )
        os.replace(partial, dest)
    finally:
        partial.unlink(missing_ok=True)


def _fetch_reference(entry: ManifestEntry, dest: Path) -> None:
    """Copy a referenced file (any fsspec URI), checked against its digest where known."""
    assert entry.ref is not None
    if urlparse(entry.ref).scheme == "file":
        with open(urlparse(entry.ref).path, "rb") as src:
            return _copy_checked(src, dest, entry) if entry.sha256 else _plain(src, dest)
    import fsspec

    with fsspec.open(entry.ref, "rb") as src:
        return _copy_checked(src, dest, entry) if entry.sha256 else _plain(src, dest)


def _plain(src: IO[bytes], dest: Path) -> None:
    with open(dest, "wb") as out:
        shutil.copyfileobj(src, out, _CHUNK)
