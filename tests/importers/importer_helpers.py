"""Helpers shared by the importer tests (fixtures live in conftest.py)."""

from __future__ import annotations

from collections.abc import Callable

from click.testing import Result

Import = Callable[..., Result]
