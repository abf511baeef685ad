"""``POST /api/v1/runs/page``: one page of a search, with the total count, for tables that
page on the server (the web UI's runs table)."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from tracklog.server.auth import GuardDep
from tracklog.server.encoding import ListingJSON, wire_router
from tracklog.server.routes.runs import Search
from tracklog.server.state import StoreDep

router = wire_router(prefix="/api/v1", tags=["runs"])

MAX_PAGE = 1000


class PageRequest(Search):
    """A search (as ``/runs/search``) and the slice of its matches to answer."""

    offset: int = Field(default=0, ge=0)
    limit: int = Field(default=50, ge=1, le=MAX_PAGE)


@router.post("/runs/page")
def page_runs(body: PageRequest, store: StoreDep, guard: GuardDep) -> Any:
    """Runs ``offset`` to ``offset + limit`` of the matches (long text abridged), and how
    many match in all."""
    projects = guard.searchable(body.projects)
    # Ids are cheap even for 100,000 matches; only the page's runs are loaded.
    ids = store.search_run_ids(projects, body.filter, body.order_by, None, body.lifecycle)
    page = ids[body.offset : body.offset + body.limit]
    return ListingJSON({"runs": store.get_runs(page), "total": len(ids), "offset": body.offset})
