"""Per-process server state: the store each worker opens once, as a FastAPI dependency."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from tracklog.store.tracking import Store


def get_store(request: Request) -> Store:
    """The store of this server process (opened at startup)."""
    return request.app.state.store


StoreDep = Annotated[Store, Depends(get_store)]
