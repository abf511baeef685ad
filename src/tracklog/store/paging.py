"""Paging a listing: the one rule of page sizes, offsets and page tokens, and the page type.

The web UI's runs page (``POST /api/v1/runs/page``, an offset and a limit), the native
listing (``POST /api/v1/runs/search``, a ``page_token`` and ``limit``) and MLflow's listings
(a ``page_token`` and ``max_results``) all check their request with :class:`PageSpec` and
answer from a :class:`Page`; the store pages in SQL (:meth:`Store.search_page`, given a
:class:`~tracklog.store.run_query.RunQuery`). This module imports no database code.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from tracklog.errors import InvalidValueError

T = TypeVar("T")

# No listing comes near it, and offset + limit + 1 (the row that shows whether another page
# follows) stays inside the databases' 64-bit integers.
MAX_COUNT = 2**62


def _count(value: Any, what: str, low: int, high: int | None = None) -> int:
    """An integer (not a bool) from ``low`` up to ``high``, or an error naming ``what``."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidValueError(f"{what} must be an integer, got {value!r}")
    if value < low or (high is not None and value > high):
        bound = f"at least {low}" if high is None else f"between {low} and {high}"
        raise InvalidValueError(f"{what} must be {bound}, got {value}")
    if value > MAX_COUNT:
        raise InvalidValueError(f"{what} must be at most {MAX_COUNT}, got {value}")
    return value


@dataclass(frozen=True)
class PageSpec:
    """Which slice of a listing to answer: ``limit`` items from ``offset``."""

    offset: int
    limit: int

    @classmethod
    def checked(cls, offset: Any, limit: Any, max_limit: int | None) -> PageSpec:
        """A page of at most ``max_limit`` items (None: no bound)."""
        return cls(_count(offset, "offset", 0), _count(limit, "limit", 1, max_limit))

    @classmethod
    def first(cls, limit: Any) -> PageSpec | None:
        """The first ``limit`` items; None (every item) when ``limit`` is None."""
        return None if limit is None else cls(0, _count(limit, "limit", 1))

    @classmethod
    def from_token(
        cls, token: str | None, limit: Any, max_limit: int | None, limit_name: str = "max_results"
    ) -> PageSpec:
        """The page that ``token`` (from :attr:`Page.next_token`; None: the first) starts."""
        limit = _count(limit, limit_name, 1, max_limit)
        if token is None:
            return cls(0, limit)
        try:
            offset = json.loads(base64.urlsafe_b64decode(token.encode()))["offset"]
            return cls(_count(offset, "page_token", 0), limit)
        except (ValueError, TypeError, KeyError):  # InvalidValueError is a ValueError
            raise InvalidValueError(f"invalid page_token {token!r}") from None


def token(offset: int) -> str:
    """The page token of the page starting at ``offset`` (MLflow's opaque cursor)."""
    return base64.urlsafe_b64encode(json.dumps({"offset": offset}).encode()).decode()


@dataclass(frozen=True)
class Page(Generic[T]):
    """One page of a listing: its items, where it starts, whether more follow, and the
    number of all matches when it was counted."""

    items: list[T]
    offset: int
    more: bool
    total: int | None = None

    @classmethod
    def of(cls, fetched: list[T], spec: PageSpec | None, total: int | None = None) -> Page[T]:
        """The page from ``fetched``, up to ``spec.limit + 1`` items (one more than the page
        shows whether another follows); ``spec`` None: ``fetched`` is every item."""
        if spec is None:
            return cls(fetched, 0, False, total)
        more = len(fetched) > spec.limit
        return cls(fetched[: spec.limit], spec.offset, more, total)

    @property
    def next_offset(self) -> int | None:
        """Where the next page starts; None after the last."""
        return self.offset + len(self.items) if self.more else None

    @property
    def next_token(self) -> str | None:
        """The token of the next page; None after the last."""
        after = self.next_offset
        return None if after is None else token(after)
