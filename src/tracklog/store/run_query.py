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

from tracklog.errors import InvalidValueError
from tracklog.store.paging import PageSpec

LIFECYCLES = ("active", "deleted", "all")


def checked_lifecycle(lifecycle: str) -> str:
    """``lifecycle`` if it is one of :data:`LIFECYCLES`, or an error naming them."""
    if lifecycle not in LIFECYCLES:
        raise InvalidValueError(f"lifecycle must be one of {LIFECYCLES}, not {lifecycle!r}")
    return lifecycle


def _texts(values: Sequence[str] | None, what: str) -> tuple[str, ...] | None:
    if values is None:
        return None
    if isinstance(values, str):  # one item, not a sequence of characters
        return (values,)
    if not all(isinstance(v, str) for v in values):
        raise InvalidValueError(f"{what} must be strings, got {values!r}")
    return tuple(values)


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
            _texts(order_by, "order_by") or (),
            _texts(projects, "projects"),
            None if experiment_ids is None else tuple(experiment_ids),
            lifecycle,
            page,
        )
