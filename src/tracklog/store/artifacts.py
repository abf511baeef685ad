"""Run files through fsspec, with every path confined to its run's root."""

from __future__ import annotations

import os
import posixpath
import secrets
import shutil
from collections.abc import Iterable
from pathlib import Path
from typing import Any, BinaryIO

from tracklog.errors import InvalidValueError, NotFoundError
from tracklog.store.records import FileInfo

# The width of run_files.path, and what common file systems allow for one name.
MAX_PATH, MAX_PATH_PART = 1024, 255
# Under the artifact root: files being written, renamed into place when complete, and
# multipart uploads in progress. Never listed as an artifact.
STAGING = ".tracklog-staging"


def safe_relpath(path: str) -> str:
    """Validate a path inside a run's artifacts; return it normalised.

    Absolute paths, drive letters, backslashes, ``..`` segments and NUL bytes are refused, so
    nothing can be written or read outside the run's root.
    """
    if not isinstance(path, str) or not path.strip():
        raise InvalidValueError(f"artifact path must be a non-empty string, got {path!r}")
    if "\x00" in path or "\\" in path:
        raise InvalidValueError(f"artifact path {path!r} contains a NUL or backslash")
    # A URL's bytes that are not UTF-8 (overlong dots such as %c0%ae) arrive as U+FFFD, and a
    # lone surrogate (encoded as '?' here) cannot be written: neither is a name the sender wrote.
    if "\ufffd" in path or path.encode(errors="replace").decode() != path:
        raise InvalidValueError(
            f"artifact path {path!r} is not valid UTF-8 (a lone surrogate, or bytes decoded "
            "as U+FFFD)"
        )
    longest = max(len(part.encode()) for part in path.split("/"))
    if len(path) > MAX_PATH or longest > MAX_PATH_PART:
        raise InvalidValueError(
            f"artifact path {path[:40]!r}... is too long: the limits are {MAX_PATH} characters "
            f"and {MAX_PATH_PART} bytes per name"
        )
    if path.startswith("/") or (len(path) > 1 and path[1] == ":"):
        raise InvalidValueError(f"artifact path {path!r} must be relative to the run's root")
    parts = path.split("/")
    if ".." in parts:
        raise InvalidValueError(f"artifact path {path!r} must not contain '..'")
    if STAGING in parts:
        raise InvalidValueError(f"artifact path {path!r}: the name {STAGING!r} is reserved")
    norm = posixpath.normpath(path)
    if norm in (".", ""):
        raise InvalidValueError(f"artifact path {path!r} names no file")
    return norm


def upload_plan(source: Path, dest: str) -> list[tuple[Path, str]]:
    """The (local file, path in the run) pairs that uploading ``source`` as ``dest`` stores:
    the file itself, or every file of the folder. Symbolic links in a folder are followed only
    if they stay inside that folder."""
    if not source.exists():
        raise NotFoundError(f"artifact source {str(source)!r} does not exist")
    dest = safe_relpath(dest)
    if source.is_file():
        return [(source, dest)]
    top = source.resolve()
    files = []
    for item in sorted(source.rglob("*")):
        if item.is_dir() or (item.is_symlink() and not item.resolve().is_relative_to(top)):
            continue
        files.append((item, f"{dest}/{item.relative_to(source).as_posix()}"))
    return files


class ArtifactRepository:
    """Files of runs under one root (a local folder now; any fsspec URL later)."""

    def __init__(self, root: str) -> None:
        self.root = root.rstrip("/")
        self._fs: Any = None

    @property
    def fs(self) -> Any:
        """The fsspec filesystem of the root, loaded on first use (fsspec is slow to import)."""
        if self._fs is None:
            import fsspec

            self._fs = fsspec.core.url_to_fs(self.root)[0]
        return self._fs

    def run_root(self, experiment_id: int, run_id: str) -> str:
        """The artifact URI recorded for a new run."""
        return f"{self.root}/{experiment_id}/{run_id}"

    def _base(self, run_root: str) -> str:
        import fsspec

        return fsspec.core.url_to_fs(run_root)[1]

    def confined(self, run_root: str, relpath: str | None) -> str:
        """The full path of ``relpath`` in the folder ``run_root`` (the folder itself when
        None). Refused unless :func:`safe_relpath` accepts it and, on a local disk, it stays in
        that folder after following symbolic links."""
        base = self._base(run_root).rstrip("/")
        full = base if relpath is None else f"{base}/{safe_relpath(relpath)}"
        self._stay_inside(base, full, relpath or "")
        return full

    def _stay_inside(self, base: str, full: str, relpath: str) -> None:
        """Refuse ``full`` if a symbolic link planted in the store leads it out of ``base``."""
        if "file" not in _protocols(self.fs):
            return  # object stores have no links
        if not _inside(os.path.realpath(full), self._real(base)):
            raise InvalidValueError(
                f"artifact path {relpath!r} leads outside its folder through a symbolic link"
            )

    def _real(self, base: str) -> str:
        """Where folder ``base`` really is. Under the root it is where the root says, so a link
        planted in place of a run's or an experiment's folder cannot move it; a folder outside
        the root (a run recorded under an earlier root) is wherever it leads."""
        root = self._base(self.root).rstrip("/")
        if base == root or base.startswith(f"{root}/"):
            return os.path.normpath(os.path.realpath(root) + base[len(root) :])
        return os.path.realpath(base)

    def upload(self, run_root: str, source: Path, dest: str) -> list[FileInfo]:
        """Copy a local file or folder to ``dest`` inside the run (see :func:`upload_plan`);
        return what was stored."""
        stored = []
        for src, rel in upload_plan(source, dest):
            target = self.confined(run_root, rel)
            self.fs.makedirs(posixpath.dirname(target), exist_ok=True)
            with open(src, "rb") as fin, self.fs.open(target, "wb") as fout:
                shutil.copyfileobj(fin, fout, 1 << 20)
            stored.append(FileInfo(rel, src.stat().st_size))
        return stored

    def write(self, run_root: str, relpath: str, chunks: Iterable[bytes]) -> FileInfo:
        """Store the bytes of ``chunks`` as file ``relpath`` of the run (streamed). The file
        appears whole or not at all: the bytes go to a staging file, renamed into place once
        ``chunks`` is exhausted, so a failed upload leaves an earlier file of that name as it
        was and no partial one."""
        target = self.confined(run_root, relpath)
        if self.fs.isdir(target):
            raise InvalidValueError(f"artifact path {relpath!r} is a folder, not a file")
        self.fs.makedirs(posixpath.dirname(target), exist_ok=True)
        return FileInfo(safe_relpath(relpath), self.write_staged(chunks, target))

    def write_new(self, run_root: str, folder: str, files: Iterable[tuple[str, bytes]]) -> int:
        """Store each (file name, bytes) of ``files`` in ``folder`` of the run, unless a file of
        that name is there already (content-addressed names: the same bytes); return how many
        were written. The folder is confined once, so a batch of small files stays cheap."""
        base = self.confined(run_root, folder)
        self.fs.makedirs(base, exist_ok=True)
        staging = self.staging("writes")
        self.fs.makedirs(staging, exist_ok=True)
        written = 0
        for name, data in files:
            if "/" in name or safe_relpath(name) != name:
                raise InvalidValueError(f"{name!r} is not a plain file name")
            target = f"{base}/{name}"
            if not self.fs.isfile(target):
                self.write_staged([data], target, staging)
                written += 1
        return written

    def write_staged(self, chunks: Iterable[bytes], final: str, staging: str | None = None) -> int:
        """Write ``chunks`` to a new staging file (in folder ``staging``, which exists, or a
        new one), then move it to the full path ``final`` (replacing what was there); on any
        failure remove it and leave ``final`` alone. Returns the size written."""
        if staging is None:
            partial = self.staging(f"writes/{secrets.token_hex(16)}")
            self.fs.makedirs(posixpath.dirname(partial), exist_ok=True)
        else:
            partial = f"{staging}/{secrets.token_hex(16)}"
        size = 0
        try:
            with self.fs.open(partial, "wb") as out:
                for chunk in chunks:
                    out.write(chunk)
                    size += len(chunk)
            self.fs.mv(partial, final)
        except BaseException:
            if self.fs.exists(partial):
                self.fs.rm(partial)
            raise
        return size

    def staging(self, relpath: str) -> str:
        """The full path of ``relpath`` in the staging folder under the root (refused if a
        link planted for that folder leads elsewhere: uploads pass through it)."""
        return self.under_root(f"{STAGING}/{relpath}")

    def under_root(self, relpath: str) -> str:
        """The full path of ``relpath`` (store-chosen, not a user's) under the root, refused
        if a planted link leads it elsewhere."""
        root = self._base(self.root).rstrip("/")
        full = f"{root}/{relpath}"
        self._stay_inside(root, full, relpath)
        return full

    def open(self, run_root: str, relpath: str) -> BinaryIO:
        """Open a stored file of the run for reading."""
        full = self.confined(run_root, relpath)
        if not self.fs.isfile(full):
            raise NotFoundError(f"the run has no file {relpath!r}")
        return self.fs.open(full, "rb")

    def download(self, run_root: str, relpath: str, dest: Path) -> Path:
        """Copy one stored file (or folder) to the local path ``dest``; return that path."""
        full = self.confined(run_root, relpath)
        if not self.fs.exists(full):
            raise NotFoundError(f"the run has no artifact {relpath!r}")
        if self.fs.isdir(full) and "file" in _protocols(self.fs):
            self._copy_folder(self._base(run_root).rstrip("/"), full, dest)
        elif self.fs.isdir(full):
            self.fs.get(full, str(dest), recursive=True)
        else:
            dest.parent.mkdir(parents=True, exist_ok=True)
            self.fs.get(full, str(dest))
        return dest

    def _copy_folder(self, base: str, full: str, dest: Path) -> None:
        """Copy local folder ``full`` of the run in ``base`` to ``dest``. Linked folders are
        not entered and linked files leading out of the run are left out, as uploads do."""
        real = self._real(base)
        for folder, _, files in os.walk(full):  # does not enter linked folders
            target = dest / os.path.relpath(folder, full)
            target.mkdir(parents=True, exist_ok=True)
            for name in files:
                if _inside(os.path.realpath(f"{folder}/{name}"), real):
                    shutil.copyfile(f"{folder}/{name}", target / name)

    def delete(self, run_root: str, relpath: str) -> None:
        """Delete one stored file or folder of the run; a missing path is :class:`NotFoundError`."""
        full = self.confined(run_root, relpath)
        if not self.fs.exists(full):
            raise NotFoundError(f"there is no artifact {relpath!r}")
        self.fs.rm(full, recursive=True)

    def listdir(self, run_root: str, relpath: str | None) -> list[tuple[str, bool, int]]:
        """The (name, is folder, size) entries directly inside folder ``relpath`` of the run
        (its root when None), by name; a missing folder has none."""
        full = self.confined(run_root, relpath or None)
        if not self.fs.isdir(full):
            return []
        real = self._real(self._base(run_root).rstrip("/"))
        return sorted(
            (name, e["type"] == "directory", e["size"] or 0)
            for e in self.fs.ls(full, detail=True)
            if (name := posixpath.basename(e["name"].rstrip("/"))) != STAGING
            # A link leading out of the run is not its file: not even its size is shown.
            and not (e.get("islink") and not _inside(os.path.realpath(e["name"]), real))
        )

    def delete_run_files(self, run_root: str) -> None:
        """Delete a run's artifact folder and everything in it (nothing if it is missing)."""
        base = self._base(run_root).rstrip("/")
        if not base or base == self._base(self.root).rstrip("/"):
            raise InvalidValueError(f"refusing to delete {run_root!r}: it is not a run's folder")
        if "file" in _protocols(self.fs) and os.path.islink(base):
            os.unlink(base)  # the run's entry goes; whatever it leads to is not the store's
            return
        self._stay_inside(base, base, run_root)
        if self.fs.exists(base):
            self.fs.rm(base, recursive=True)


def _inside(path: str, folder: str) -> bool:
    return os.path.commonpath([folder, path]) == folder


def _protocols(fs: Any) -> tuple[str, ...]:
    proto = fs.protocol
    return (proto,) if isinstance(proto, str) else tuple(proto)
