"""What ``finish()`` does when the store fails: retry for a while, then keep what is left.

A store that fails at the end of a run (a full disk, a lock held too long) often recovers
within seconds, so the last writes are retried for ``$TRACKLOG_FINISH_RETRY`` seconds first.
What still cannot be written goes to a rescue journal for ``tracklog sync``: beside the store
(its ``offline/`` folder) if possible, else in ``$TRACKLOG_RESCUE_DIR``, the user's cache
folder or the temporary folder, which are often on another filesystem than a full store.
"""

from __future__ import annotations

import contextlib
import getpass
import os
import shutil
import sys
import tempfile
import time
import warnings
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from tracklog.errors import retryable
from tracklog.sdk.backend import JournalBackend
from tracklog.sdk.writer import PendingBatch

RETRY_ENV = "TRACKLOG_FINISH_RETRY"
RESCUE_DIR_ENV = "TRACKLOG_RESCUE_DIR"
DEFAULT_RETRY_S = 5.0
FIRST_PAUSE_S, LONGEST_PAUSE_S = 0.1, 1.0
SERIES_NAMED = 10  # series a loss message names one by one


def retry_seconds() -> float:
    """How long ``finish()`` retries a failing store: ``$TRACKLOG_FINISH_RETRY`` (default 5)."""
    text = os.environ.get(RETRY_ENV)
    if not text:
        return DEFAULT_RETRY_S
    try:
        seconds = float(text)
    except ValueError:
        seconds = -1.0
    if not 0 <= seconds < float("inf"):
        warnings.warn(
            f"tracklog: ${RETRY_ENV} must be a number of seconds >= 0, got {text!r}; "
            f"using {DEFAULT_RETRY_S}",
            stacklevel=3,
        )
        return DEFAULT_RETRY_S
    return seconds


def retrying(attempt: Callable[[], None], what: str) -> Exception | None:
    """Call ``attempt`` until it succeeds, fails for what it writes (not retried), or
    :func:`retry_seconds` are spent; return the last failure, None on success. The first
    transient failure is said on stderr, since ``finish()`` then takes a while."""
    window = retry_seconds()
    deadline = time.monotonic() + window
    pause = FIRST_PAUSE_S
    said = False
    while True:
        try:
            attempt()
            return None
        except Exception as exc:
            left = deadline - time.monotonic()
            if not retryable(exc) or left <= 0:
                return exc
            if not said:
                said = True
                print(
                    f"tracklog: writing {what} failed ({exc}); retrying for up "
                    f"to {window:g} s (${RETRY_ENV})",
                    file=sys.stderr,
                    flush=True,
                )
            time.sleep(min(pause, left))
            pause = min(pause * 2, LONGEST_PAUSE_S)


def folders(primary: Path) -> list[Path]:
    """Where a rescue journal may go, in order: ``primary``, ``$TRACKLOG_RESCUE_DIR``, the
    user's cache folder, the temporary folder (each once)."""
    found = [primary]
    if os.environ.get(RESCUE_DIR_ENV):
        found.append(Path(os.environ[RESCUE_DIR_ENV]))
    cache = os.environ.get("XDG_CACHE_HOME")
    with contextlib.suppress(RuntimeError):  # no home folder
        found.append((Path(cache) if cache else Path.home() / ".cache") / "tracklog" / "rescue")
    found.append(Path(tempfile.gettempdir()) / f"tracklog-rescue-{_user()}")
    unique: dict[Path, None] = {}
    for folder in found:
        unique.setdefault(folder.absolute(), None)
    return list(unique)


def write_journal(
    places: Sequence[Path],
    name: str,
    run_id: str,
    batches: Sequence[PendingBatch],
    end: dict[str, Any],
) -> Path:
    """Write ``batches`` and the run's ``end`` (if any) to a journal ``name`` in the first of
    ``places`` that takes it whole; return its folder. Raises :class:`OSError` naming each
    place's failure when none does (a half-written journal is removed)."""
    failures = []
    for place in places:
        folder = place / name
        try:
            _write(folder, run_id, batches, end)
            return folder
        except OSError as exc:
            failures.append(f"{folder}: {exc}")
            shutil.rmtree(folder, ignore_errors=True)
    raise OSError("; ".join(failures))


def _write(folder: Path, run_id: str, batches: Sequence[PendingBatch], end: dict[str, Any]) -> None:
    # A folder made here is the user's alone; in the shared temporary folder, one someone
    # else made could be read by them, so it is not used.
    place = folder.parent
    place.mkdir(mode=0o700, parents=True, exist_ok=True)
    shared = place.parent == Path(tempfile.gettempdir()).absolute()
    if shared and hasattr(os, "getuid") and place.lstat().st_uid != os.getuid():
        raise PermissionError(f"{place} belongs to another user")
    journal = JournalBackend(folder)
    try:
        for item in batches:
            getattr(journal, item.op)(run_id, item.batch, batch_id=item.batch_id)
        if end:
            journal.finish_run(run_id, **end)  # syncs
        else:
            journal.journal.sync()
    finally:
        journal.close()


def points(batches: Sequence[PendingBatch]) -> int:
    """How many points (and media values, histograms) ``batches`` hold."""
    return sum(n for item in batches for _, n in item.sizes())


def by_series(batches: Sequence[PendingBatch]) -> str:
    """The points of ``batches`` per series, most first: ``loss: 100, acc {"subset":"val"}: 50``
    (the first :data:`SERIES_NAMED`, then how many more series)."""
    counts: dict[str, int] = {}
    for item in batches:
        for label, n in item.sizes():
            counts[label] = counts.get(label, 0) + n
    ranked = sorted(counts.items(), key=lambda kv: -kv[1])
    text = ", ".join(f"{label}: {n}" for label, n in ranked[:SERIES_NAMED])
    if len(ranked) > SERIES_NAMED:
        text += f" and {len(ranked) - SERIES_NAMED} more series"
    return text


def _user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return str(os.getuid()) if hasattr(os, "getuid") else "user"
