"""Helpers shared by the capture tests: real git repositories and package folders."""

from __future__ import annotations

import importlib.metadata
import subprocess
from pathlib import Path


def git(cwd: Path, *args: str) -> str:
    """Run git in ``cwd`` and return its output; fail the test if git fails."""
    done = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True)
    assert done.returncode == 0, f"git {' '.join(args)}: {done.stderr}"
    return done.stdout


def make_repo(path: Path, files: dict[str, str | bytes] | None = None) -> Path:
    """A repository on branch ``main`` with ``files`` committed (none: no commit at all)."""
    path.mkdir(parents=True, exist_ok=True)
    git(path, "init", "-q", "-b", "main")
    if files:
        write(path, files)
        git(path, "add", "-A")
        git(path, "commit", "-q", "-m", "first")
    return path


def write(root: Path, files: dict[str, str | bytes]) -> None:
    for rel, content in files.items():
        target = root / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            target.write_bytes(content)
        else:
            target.write_text(content, encoding="utf-8", newline="")


def make_site(folder: Path, count: int, *, prefix: str = "fakepkg") -> Path:
    """A folder of ``count`` installed-looking distributions (``.dist-info`` with METADATA and
    RECORD, as pip leaves them, with a few KB of description like real packages)."""
    folder.mkdir(parents=True, exist_ok=True)
    description = "Long description of the package.\n" * 120
    for i in range(count):
        name, version = f"{prefix}_{i:03d}", f"1.{i}.0"
        info = folder / f"{name}-{version}.dist-info"
        info.mkdir()
        (info / "METADATA").write_text(
            f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n"
            f"Summary: package {i}\nRequires-Dist: numpy>=1.0\n\n{description}"
        )
        (info / "RECORD").write_text(f"{name}/__init__.py,,\n{info.name}/METADATA,,\n")
        (info / "INSTALLER").write_text("pip\n")
    return folder


def make_big_project(root: Path, packages: int = 300) -> tuple[Path, Path]:
    """A repository of 1,000 files with 10 changed and 5 untracked, and a folder of empty
    distributions that, on ``PYTHONPATH``, brings this interpreter's total to ``packages``
    (capture's cost case: the tests and bench case C1 use it)."""
    files = {
        f"pkg{d:02d}/module{f:02d}.py": "".join(f"value_{i} = {i}\n" for i in range(40))
        for d in range(40)
        for f in range(25)
    }
    repo = make_repo(root / "repo", files)
    write(repo, {f"pkg00/module{f:02d}.py": "changed = True\n" for f in range(10)})
    write(repo, {f"scratch/note{i}.txt": f"note {i}\n" for i in range(5)})
    have = sum(1 for _ in importlib.metadata.distributions())
    return repo, make_site(root / "site", max(0, packages - have))
