"""Helpers shared by the CLI tests (fixtures live in conftest.py)."""

from __future__ import annotations

from collections.abc import Callable

from click.testing import Result

Invoke = Callable[..., Result]
MakeRun = Callable[..., str]


def rows_with(output: str, *names: str) -> list[str]:
    """The names among ``names`` in the order their table rows appear in ``output``."""
    found = []
    for line in output.splitlines():
        found += [n for n in names if f" {n} " in line]
    return found
