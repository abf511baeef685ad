"""``POST /api/v1/runs/page``: one page of a search, with the total count, for tables that
page on the server (the web UI's runs table)."""

from __future__ import annotations

from typing import Any

from tracklog.server.auth import GuardDep
from tracklog.server.encoding import ListingJSON, wire_router
from tracklog.server.routes.runs import Search
from tracklog.server.state import StoreDep
from tracklog.store.paging import PageSpec

router = wire_router(prefix="/api/v1", tags=["runs"])

MAX_PAGE = 1000


class PageRequest(Search):
    """A search (as ``/runs/search``) and the slice of its matches to answer."""

    offset: int = 0
    limit: int = 50


@router.post("/runs/page")
def page_runs(body: PageRequest, store: StoreDep, guard: GuardDep) -> Any:
    """Runs ``offset`` to ``offset + limit`` of the matches (long text abridged), and how
    many match in all."""
    spec = PageSpec.checked(body.offset, body.limit, MAX_PAGE)
    page = store.search_page(body.query(guard, spec), count=True)
    return ListingJSON(
        {"runs": store.get_runs(page.items), "total": page.total, "offset": page.offset}
    )
