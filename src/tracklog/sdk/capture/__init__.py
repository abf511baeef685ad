"""What a run captures about itself at ``init``: environment, git, packages, code, console and
system metrics (see docs/capture.md).

``capture_all`` runs the one-shot captures; ``ConsoleCapture`` and ``SystemSampler`` run for the
run's lifetime. Nothing here is imported by ``import tracklog``.
"""

from __future__ import annotations

import dataclasses
import os
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tracklog.sdk.capture.console import ConsoleCapture
from tracklog.sdk.capture.settings import CaptureSettings
from tracklog.sdk.capture.system import SystemSampler

__all__ = ["CaptureSettings", "Captured", "ConsoleCapture", "SystemSampler", "capture_all"]

DIFF_ARTIFACT = "diff.patch"
REQUIREMENTS_ARTIFACT = "requirements.txt"
CONDA_ARTIFACT = "conda.yaml"
CONSOLE_ARTIFACT = "output.log"


@dataclass
class Captured:
    """The result of ``capture_all``.

    ``metadata`` is JSON-able and holds the notes too (under ``capture``); ``texts`` maps
    artifact names to contents (write them with ``write_texts``); ``files`` are (source path,
    artifact name) pairs to copy as they are.
    """

    metadata: dict[str, Any] = field(default_factory=dict)
    texts: dict[str, str] = field(default_factory=dict)
    files: list[tuple[Path, str]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    timings_ms: dict[str, float] = field(default_factory=dict)
    _late: threading.Thread | None = field(default=None, repr=False)
    _late_result: Captured | None = field(default=None, repr=False)

    def write_texts(self, folder: str | os.PathLike[str]) -> list[tuple[Path, str]]:
        """Write ``texts`` as files in ``folder``; returns (path, artifact name) pairs."""
        out = []
        base = Path(folder)
        base.mkdir(parents=True, exist_ok=True)
        for name, text in self.texts.items():
            path = base / name
            # surrogateescape: a diff of non-UTF-8 files comes back byte for byte
            path.write_bytes(text.encode("utf-8", "surrogateescape"))
            out.append((path, name))
        return out

    def late(self, timeout_s: float | None = None) -> Captured | None:
        """What the background captures (``conda env export``) produced, once they are done.

        Waits up to ``timeout_s`` (None: as long as it takes); returns None if there were none
        or they are still running.
        """
        if self._late is None:
            return None
        self._late.join(timeout_s)
        return None if self._late.is_alive() else self._late_result


def capture_all(
    settings: CaptureSettings,
    workdir: str | os.PathLike[str] | None = None,
    *,
    exclude: Iterable[str | os.PathLike[str]] = (),
    background: bool = True,
) -> Captured:
    """Run the one-shot captures that ``settings`` switch on; never raises.

    ``exclude`` holds folders the code snapshot skips (the store's). Each capture is guarded:
    a failure becomes a note. The git commands run while the rest is collected, and
    ``conda env export`` (seconds) runs in the background when ``background`` (see ``late()``).
    """
    begin = time.perf_counter()
    workdir = Path(workdir) if workdir is not None else Path.cwd()
    cap = Captured()
    meta = cap.metadata
    git = None
    if settings.git:
        # Start the git commands first: they run in their own processes while the Python work
        # below runs here (a thread would fight that work for the GIL).
        begin_git = time.perf_counter()
        git = _guarded(cap, "git_start", lambda: _start_git(settings, workdir, exclude))
    if settings.environment:
        _guarded(cap, "environment", lambda: _environment(cap, workdir))
    if settings.packages:
        _guarded(cap, "packages", lambda: _packages(cap))
    if settings.code:
        _guarded(cap, "code", lambda: _code(cap, settings, workdir, exclude))
    if git is not None:
        info = _guarded(cap, "git_wait", git.result)  # what git added to the total
        cap.timings_ms["git"] = round((time.perf_counter() - begin_git) * 1000, 2)
        if info is not None:
            meta["git"] = info.metadata
            cap.notes.extend(info.notes)
            if info.diff:
                cap.texts[DIFF_ARTIFACT] = info.diff
    if settings.packages and background:
        _start_conda(cap)
    cap.timings_ms["total"] = round((time.perf_counter() - begin) * 1000, 2)
    meta["capture"] = {
        "notes": cap.notes,
        "ms": cap.timings_ms,
        "settings": {**dataclasses.asdict(settings), "code_glob": list(settings.code_glob)},
    }
    return cap


def _guarded(cap: Captured, what: str, work: Callable[[], Any]) -> Any:
    """``work()``'s result, or None and a note if it raised."""
    begin = time.perf_counter()
    result = None
    try:
        result = work()
    except Exception as exc:  # one failed capture must never fail init()
        cap.notes.append(f"{what}: capture failed: {type(exc).__name__}: {exc}")
    cap.timings_ms[what] = round((time.perf_counter() - begin) * 1000, 2)
    return result


def _start_git(
    settings: CaptureSettings, workdir: Path, exclude: Iterable[str | os.PathLike[str]]
) -> Any:
    from tracklog.sdk.capture.git import GitCapture

    return GitCapture(
        workdir, diff=settings.diff, max_bytes=settings.diff_max_bytes, exclude=exclude
    )


def _environment(cap: Captured, workdir: Path) -> None:
    from tracklog.sdk.capture.environment import collect_environment

    info, notes = collect_environment(workdir)
    cap.metadata["environment"] = info
    cap.notes.extend(notes)


def _packages(cap: Captured) -> None:
    from tracklog.sdk.capture.packages import collect_packages, conda_executable

    info = collect_packages()
    cap.texts[REQUIREMENTS_ARTIFACT] = info.requirements
    cap.metadata["packages"] = {"count": info.count, "conda": conda_executable() is not None}
    cap.notes.extend(info.notes)


def _code(
    cap: Captured,
    settings: CaptureSettings,
    workdir: Path,
    exclude: Iterable[str | os.PathLike[str]],
) -> None:
    from tracklog.sdk.capture.code import collect_code
    from tracklog.sdk.capture.environment import script_path

    info = collect_code(workdir, script_path(), settings.code_glob, exclude=exclude)
    cap.files.extend(info.files)
    cap.metadata["code"] = {"files": [name for _, name in info.files]}
    cap.notes.extend(info.notes)


def _start_conda(cap: Captured) -> None:
    from tracklog.sdk.capture.packages import conda_executable, conda_export

    if conda_executable() is None:
        if os.environ.get("CONDA_PREFIX"):
            cap.notes.append("conda: CONDA_PREFIX is set but no conda executable was found")
        return
    late = Captured()

    def work() -> None:
        try:
            text, notes = conda_export()
        except Exception as exc:
            text, notes = None, [f"conda: capture failed: {type(exc).__name__}: {exc}"]
        if text:
            late.texts[CONDA_ARTIFACT] = text
        late.notes.extend(notes)
        cap._late_result = late

    cap._late = threading.Thread(target=work, name="tracklog-conda-export", daemon=True)
    cap._late.start()
