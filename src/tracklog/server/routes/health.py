"""``/health``: answers without credentials, for load balancers and process monitors."""

from __future__ import annotations

from typing import Any

from tracklog.server.encoding import wire_router

router = wire_router(tags=["health"])


@router.get("/health")
def health() -> Any:
    """The server answers."""
    return {"status": "ok"}
