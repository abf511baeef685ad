"""``RunQuery``: one search of runs, as every listing asks it, with its checks in one place.

The native listing (``POST /api/v1/runs/search``), the web UI's runs page
(``POST /api/v1/runs/page``), MLflow's ``runs/search``, ``Api.runs`` and the CLI all build a
:class:`RunQuery` and get a :class:`~tracklog.store.paging.Page` back from the store
(:meth:`Store.search_page`, :meth:`Store.search_runs_page`). The filter's grammar and limits
are checked where it is parsed (:mod:`tracklog.store.search_parse`), page sizes by
:class:`~tracklog.store.paging.PageSpec`. This module imports no database code.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from tracklog.errors import InvalidValueError
from tracklog.store.paging import PageSpec

LIFECYCLES = ("active", "deleted", "all")


def checked_lifecycle(lifecycle: str) -> str:
    """``lifecycle`` if it is one of :data:`LIFECYCLES`, or an error naming them."""
    if lifecycle not in LIFECYCLES:
        raise InvalidValueError(f"lifecycle must be one of {LIFECYCLES}, not {lifecycle!r}")
    return lifecycle


def _items(values: Sequence[str] | Sequence[int] | None) -> tuple[Any, ...] | None:
    if values is None:
        return None
    return (values,) if isinstance(values, str) else tuple(values)  # a str is one item


def _check_items(values: tuple[Any, ...] | None, kind: type, what: str) -> None:
    # bool is an int, but True is no experiment id
    if values is not None and not all(
        isinstance(v, kind) and not isinstance(v, bool) for v in values
    ):
        raise InvalidValueError(f"{what} must be {kind.__name__}s, got {values!r}")


@dataclass(frozen=True)
class RunQuery:
    """Which runs to list and in which order, and which page of them.

    ``projects`` (names) or ``experiment_ids`` narrow the search (None: every project;
    the store turns names into ids); ``lifecycle`` is "active", "deleted" or "all";
    ``page`` None answers every match.
    """

    filter: str | None = None
    order_by: tuple[str, ...] = ()
    projects: tuple[str, ...] | None = None
    experiment_ids: tuple[int, ...] | None = None
    lifecycle: str = "active"
    page: PageSpec | None = None

    def __post_init__(self) -> None:
        checked_lifecycle(self.lifecycle)
        if self.filter is not None and not isinstance(self.filter, str):
            raise InvalidValueError(f"filter must be a string, got {self.filter!r}")
        _check_items(self.order_by, str, "order_by")
        _check_items(self.projects, str, "projects")
        _check_items(self.experiment_ids, int, "experiment_ids")

    @classmethod
    def of(
        cls,
        projects: Sequence[str] | None = None,
        filter: str | None = None,
        order_by: Sequence[str] | None = None,
        lifecycle: str = "active",
        page: PageSpec | None = None,
        experiment_ids: Sequence[int] | None = None,
    ) -> RunQuery:
        """The query of a search's loose arguments (lists as callers hold them)."""
        return cls(
            filter,
            _items(order_by) or (),
            _items(projects),
            _items(experiment_ids),
            lifecycle,
            page,
        )
