"""The code snapshot: the script and files matching globs, to save as ``code/...`` artifacts."""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

MAX_FILE_BYTES = 1_000_000
MAX_FILES = 1_000
PREFIX = "code/"
# Folders no one means by "my code": VCS data, caches, dependencies. Hidden folders and virtual
# environments (a pyvenv.cfg inside) are pruned too, so "**/*.py" does not sweep up a .venv.
_PRUNE = frozenset({"__pycache__", "node_modules", "site-packages", "dist-packages"})


@dataclass
class CodeInfo:
    """Files to save as artifacts, as (source path, artifact name) pairs, and notes."""

    files: list[tuple[Path, str]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def glob_regex(pattern: str) -> re.Pattern[str]:
    """A regex for relative POSIX paths matching ``pattern``; ``**/`` spans folders."""
    out = []
    i = 0
    while i < len(pattern):
        c = pattern[i]
        if pattern.startswith("**/", i):
            out.append("(?:[^/]+/)*")
            i += 3
            continue
        if pattern.startswith("**", i):
            out.append(".*")
            i += 2
            continue
        if c == "*":
            out.append("[^/]*")
        elif c == "?":
            out.append("[^/]")
        elif c == "[":
            end = pattern.find("]", i + 2)
            if end < 0:
                out.append(re.escape(c))
            else:
                body = pattern[i + 1 : end]
                if body.startswith("!"):
                    body = "^" + body[1:]
                out.append("[" + body.replace("\\", "\\\\") + "]")
                i = end
        else:
            out.append(re.escape(c))
        i += 1
    return re.compile("".join(out) + r"\Z")


def collect_code(
    workdir: str | os.PathLike[str],
    script: str | os.PathLike[str] | None,
    globs: Sequence[str] = (),
    *,
    exclude: Iterable[str | os.PathLike[str]] = (),
    max_file_bytes: int = MAX_FILE_BYTES,
    max_files: int = MAX_FILES,
) -> CodeInfo:
    """The script and regular files under ``workdir`` matching ``globs``, capped in size.

    Artifact names are ``code/`` plus the path relative to ``workdir`` (the script's base name if
    it lies outside). ``exclude`` holds folders to skip, such as the store's own folder.
    """
    info = CodeInfo()
    root = Path(workdir).absolute()
    seen: set[Path] = set()
    too_big: list[str] = []

    def add(path: Path, rel: str) -> bool:
        if len(info.files) >= max_files:
            return False
        try:
            size = path.stat().st_size
        except OSError as exc:
            info.notes.append(f"code: cannot read {rel!r}: {exc.strerror or exc}")
            return True
        if size > max_file_bytes:
            too_big.append(rel)
            return True
        if not os.access(path, os.R_OK):
            info.notes.append(f"code: no permission to read {rel!r}; left out")
            return True
        info.files.append((path, PREFIX + rel))
        seen.add(path)
        return True

    if script is not None:
        path = Path(script).absolute()
        try:
            rel = path.relative_to(root).as_posix()
        except ValueError:
            rel = path.name
        if path.is_file():
            add(path, rel)
    if globs:
        skip = {Path(p).absolute() for p in exclude}
        matched = _walk(root, [glob_regex(g) for g in globs], _depth(globs), skip)
        for path, rel in matched:
            if path in seen:
                continue
            if not add(path, rel):
                info.notes.append(
                    f"code: more than {max_files} files match {', '.join(globs)}; "
                    f"only the first {max_files} saved"
                )
                break
    if too_big:
        info.notes.append(
            f"code: {len(too_big)} file(s) over {max_file_bytes} bytes left out, "
            f"first {too_big[0]!r}"
        )
    return info


def _depth(globs: Sequence[str]) -> float:
    """How many folders deep any glob can reach (unbounded with ``**``)."""
    if any("**" in g for g in globs):
        return float("inf")
    return max(g.count("/") for g in globs)


def _walk(
    root: Path, patterns: list[re.Pattern[str]], depth: float, skip: set[Path]
) -> Iterator[tuple[Path, str]]:
    """Yield (path, relative POSIX path) of regular files matching a pattern, sorted."""
    for folder, dirs, files in os.walk(root):
        here = Path(folder)
        rel_dir = here.relative_to(root).as_posix()
        level = 0 if rel_dir == "." else rel_dir.count("/") + 1
        prefix = "" if rel_dir == "." else rel_dir + "/"
        dirs[:] = sorted(
            d
            for d in dirs
            if level < depth
            and not d.startswith(".")
            and d not in _PRUNE
            and here / d not in skip
            and not os.path.exists(os.path.join(folder, d, "pyvenv.cfg"))
        )
        for name in sorted(files):
            rel = prefix + name
            if any(p.match(rel) for p in patterns):
                path = here / name
                if path.is_symlink():  # could point anywhere on the machine
                    continue
                yield path, rel
