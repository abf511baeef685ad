"""The process's open runs, newest last: the registry ``init()`` adds to and ``finish()``
removes from (its own module, so ``sdk.run`` and ``sdk.fluent`` need not import each other)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from tracklog.sdk.run import Run

runs: list[Run] = []


def current_run() -> Run | None:
    """The run most recently started by ``init()`` and not yet finished."""
    return runs[-1] if runs else None


def forget(run: Run) -> None:
    """Drop a finished run from the open runs."""
    if run in runs:
        runs.remove(run)
