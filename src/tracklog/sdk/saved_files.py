"""W&B's ``save(glob_str, base_path, policy)``: files that become run files now, at the end,
or every time they change, and the files left in ``run.dir``."""

from __future__ import annotations

import glob as globlib
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from tracklog.errors import InvalidValueError
from tracklog.sdk.backend import Backend

POLICIES = ("live", "now", "end")


@dataclass(frozen=True)
class _Watch:
    pattern: str
    base: Path


class SavedFiles:
    """A run's saved globs: "now" is uploaded at once, "end" at finish, and "live" at once,
    again whenever a matching file changes (polled by the writer thread) and at finish."""

    def __init__(self, backend: Backend, run_id: str, run_dir: Path) -> None:
        self._backend = backend
        self._run_id = run_id
        self.run_dir = run_dir
        self._live: list[_Watch] = []
        self._end: list[_Watch] = []
        self._seen: dict[Path, tuple[int, int]] = {}  # a live file's (mtime_ns, size) uploaded

    def save(self, glob_str: str, base_path: str | None, policy: str) -> list[str]:
        """Register ``glob_str`` under ``policy``; the run-file names it matches now."""
        if policy not in POLICIES:
            choices = ", ".join(POLICIES)
            raise InvalidValueError(f"save: policy must be one of {choices}: {policy!r}")
        if not isinstance(glob_str, str) or not glob_str:
            raise InvalidValueError(f"save: glob_str must be a non-empty string, got {glob_str!r}")
        watch = _Watch(glob_str, Path(base_path) if base_path else _default_base(glob_str))
        matches = _matches(watch)
        if policy == "end":
            self._end.append(watch)
            return list(matches)
        for name, path in matches.items():
            self._backend.log_artifact(self._run_id, path, name)
            self._seen[path] = _stamp(path)
        if policy == "live":
            self._live.append(watch)
        return list(matches)

    def poll(self) -> None:
        """Upload the live files that changed (or appeared) since their last upload, as
        snapshots (a journaled backend sends them past the journal; the final version is
        journaled at finish). Never raises: a failed upload warns and is tried again."""
        send: Callable[[str, Path, str], object] = getattr(
            self._backend, "stream_file", self._backend.log_artifact
        )
        for watch in self._live:
            for name, path in _matches(watch).items():
                stamp = _stamp(path)
                if self._seen.get(path) == stamp:
                    continue
                try:
                    send(self._run_id, path, name)
                except Exception as exc:  # a live upload must not break the writer thread
                    warnings.warn(f"tracklog: could not save {name}: {exc}", stacklevel=2)
                    continue
                self._seen[path] = stamp

    def finish(self) -> None:
        """Upload the "end" files, the last version of the live ones, and ``run.dir``'s files."""
        for watch in [*self._end, *self._live]:
            for name, path in _matches(watch).items():
                self._backend.log_artifact(self._run_id, path, name)
        if self.run_dir.is_dir():
            for path in sorted(self.run_dir.rglob("*")):
                if path.is_file():
                    name = path.relative_to(self.run_dir).as_posix()
                    self._backend.log_artifact(self._run_id, path, name)


def _default_base(pattern: str) -> Path:
    """W&B's default base of a glob: its folder for an absolute glob, else the working folder."""
    if not Path(pattern).is_absolute():
        return Path.cwd()
    parts = Path(pattern).parts
    for i, part in enumerate(parts):
        if globlib.has_magic(part):
            return Path(*parts[:i])
    return Path(pattern).parent


def _matches(watch: _Watch) -> dict[str, Path]:
    """Run-file name → file, for each file ``watch`` matches now (paths relative to its base;
    a file outside the base keeps its own name)."""
    base = watch.base.absolute()
    found: dict[str, Path] = {}
    for match in sorted(globlib.glob(watch.pattern, recursive=True)):
        path = Path(match).absolute()
        if not path.is_file():
            continue
        try:
            name = path.relative_to(base).as_posix()
        except ValueError:
            name = path.name
        found[name] = path
    return found


def _stamp(path: Path) -> tuple[int, int]:
    st = path.stat()
    return st.st_mtime_ns, st.st_size
