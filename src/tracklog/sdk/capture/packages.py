"""Installed Python distributions as ``requirements.txt``, and the conda environment."""

from __future__ import annotations

import json
import os
import platform
import re
import shutil
import subprocess
import sys
from collections.abc import Iterable
from dataclasses import dataclass, field

from tracklog.store.git_context import strip_credentials

CONDA_TIMEOUT_S = 60.0
_NORMALIZE = re.compile(r"[-_.]+")
_VERSIONED_DIST_INFO = re.compile(r"^(?P<name>[^-]+)-(?P<version>[^-]+)\.dist-info$")


@dataclass
class Distribution:
    """One installed distribution: its normalized name, version and requirement line."""

    name: str
    version: str
    line: str


@dataclass
class PackagesInfo:
    """``requirements.txt`` text, how many distributions it lists, and notes."""

    requirements: str = ""
    count: int = 0
    notes: list[str] = field(default_factory=list)


def normalize(name: str) -> str:
    """PEP 503 normal form: ``Foo_Bar.baz`` -> ``foo-bar-baz``."""
    return _NORMALIZE.sub("-", name).lower()


def installed(
    path: Iterable[str] | None = None, notes: list[str] | None = None
) -> list[Distribution]:
    """Distributions visible on ``path`` (default ``sys.path``), sorted by name.

    The first of two with one name wins, as for imports. Names and versions come from the
    ``NAME-VERSION.dist-info`` folder names (what installers write), which is ~50x faster than
    parsing every METADATA file; other layouts (eggs, zips) go through importlib.metadata.
    """
    from importlib import metadata

    notes = [] if notes is None else notes
    found: dict[str, Distribution] = {}
    for entry in list(sys.path if path is None else path):
        folder = entry or "."
        try:
            names = [
                e.name for e in os.scandir(folder) if e.name.endswith((".dist-info", ".egg-info"))
            ]
        except (NotADirectoryError, FileNotFoundError, PermissionError):
            if os.path.isfile(folder):  # a zip on sys.path: let importlib.metadata look inside
                for dist in metadata.distributions(path=[folder]):
                    _add(found, dist.metadata["Name"], dist.version, None, notes, folder)
            continue
        except OSError as exc:
            notes.append(f"packages: cannot list {folder!r}: {exc.strerror or exc}")
            continue
        for name in sorted(names):
            where = os.path.join(folder, name)
            match = _VERSIONED_DIST_INFO.match(name)
            if match:
                _add(found, match["name"], match["version"], where, notes, where)
                continue
            try:
                dist = metadata.Distribution.at(where)
                _add(found, dist.metadata["Name"], dist.version, where, notes, where)
            except Exception as exc:  # a half-deleted or hand-made folder
                notes.append(f"packages: unreadable metadata in {where!r}: {exc}")
    return sorted(found.values(), key=lambda d: d.name)


def _add(
    found: dict[str, Distribution],
    name: str | None,
    version: str | None,
    folder: str | None,
    notes: list[str],
    where: str,
) -> None:
    if not name or not version:
        notes.append(f"packages: {where!r} has no name or version; left out")
        return
    key = normalize(name)
    if key not in found:
        found[key] = Distribution(key, version, _line(key, version, folder))


def _line(name: str, version: str, folder: str | None) -> str:
    """``name==version``, or a direct reference where pip recorded one (PEP 610)."""
    if folder is None:
        return f"{name}=={version}"
    try:
        with open(os.path.join(folder, "direct_url.json"), encoding="utf-8") as f:
            direct = json.load(f)
        url = strip_credentials(str(direct["url"]))
    except (OSError, ValueError, KeyError, TypeError):
        return f"{name}=={version}"
    vcs = direct.get("vcs_info")
    if isinstance(vcs, dict) and vcs.get("vcs") and vcs.get("commit_id"):
        return f"{name} @ {vcs['vcs']}+{url}@{vcs['commit_id']}"
    if isinstance(direct.get("dir_info"), dict):
        how = "editable install" if direct["dir_info"].get("editable") else "installed"
        # A local folder is not portable: pin the version and say where it came from.
        return f"{name}=={version}  # {how} from {url}"
    if url.startswith(("http://", "https://")):
        return f"{name} @ {url}"
    return f"{name}=={version}  # installed from {url}"


def collect_packages(path: Iterable[str] | None = None) -> PackagesInfo:
    """``requirements.txt`` text of every installed distribution."""
    info = PackagesInfo()
    dists = installed(path, info.notes)
    head = (
        f"# Python {platform.python_version()} ({sys.executable}); "
        f"{len(dists)} distributions, captured by tracklog\n"
    )
    info.requirements = head + "".join(d.line + "\n" for d in dists)
    info.count = len(dists)
    return info


def conda_executable() -> str | None:
    """The conda to ask, when this process runs in a conda environment, else None."""
    if not os.environ.get("CONDA_PREFIX"):
        return None
    return shutil.which("conda") or os.environ.get("CONDA_EXE") or None


def conda_export(timeout_s: float = CONDA_TIMEOUT_S) -> tuple[str | None, list[str]]:
    """``conda env export`` of the active environment (YAML), or None and a note.

    Slow (seconds), so ``capture_all`` runs it in the background.
    """
    prefix = os.environ.get("CONDA_PREFIX")
    if not prefix:
        return None, []
    conda = conda_executable()
    if conda is None:
        return None, ["conda: CONDA_PREFIX is set but no conda executable was found"]
    try:
        done = subprocess.run(
            [conda, "env", "export", "--prefix", prefix],
            capture_output=True,
            stdin=subprocess.DEVNULL,
            timeout=timeout_s,
        )
    except subprocess.TimeoutExpired:
        return None, [f"conda: 'conda env export' took more than {timeout_s:g} s; left out"]
    except OSError as exc:
        return None, [f"conda: cannot run {conda!r}: {exc.strerror or exc}"]
    if done.returncode != 0:
        err = done.stderr.decode("utf-8", "replace").strip().splitlines()
        why = err[-1] if err else f"exit code {done.returncode}"
        return None, [f"conda: 'conda env export' failed: {why}"]
    return done.stdout.decode("utf-8", "replace"), []
