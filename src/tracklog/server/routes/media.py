"""``/api/v1/runs/{id}/media``, ``media-keys`` and ``histograms``: what a run logged beyond
numbers. Media files themselves are served by the run-file route (``artifacts/{path}``)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Query

from tracklog.server.auth import CAN_READ
from tracklog.server.encoding import wire_router
from tracklog.server.state import StoreDep
from tracklog.store import json_input

router = wire_router(prefix="/api/v1", tags=["media"])

ContextQuery = Annotated[
    str | None, Query(description='a JSON object; "{}" for no context; absent: every context')
]


@router.get("/runs/{run_id}/media", dependencies=[CAN_READ])
def list_media(
    run_id: str, store: StoreDep, key: str | None = None, context: ContextQuery = None
) -> Any:
    """The run's media records (of ``key`` and ``context`` where given) by key, context and
    step: each one's kind, file path, size and meta."""
    return {"media": store.media(run_id, key, parse_context(context))}


@router.get("/runs/{run_id}/media-keys", dependencies=[CAN_READ])
def media_keys(run_id: str, store: StoreDep) -> Any:
    """Each media and histogram key of the run with its kind, count and last step."""
    return {"keys": store.media_keys(run_id)}


@router.get("/runs/{run_id}/histograms", dependencies=[CAN_READ])
def histograms(run_id: str, key: str, store: StoreDep, context: ContextQuery = None) -> Any:
    """The run's histograms of ``key`` by context and step; edges and counts as arrays."""
    return {
        "histograms": [
            {
                "context": h.context,
                "step": h.step,
                "time_ms": h.time_ms,
                "edges": h.edges.tolist(),
                "counts": h.counts.tolist(),
            }
            for h in store.histograms(run_id, key, parse_context(context))
        ]
    }


def parse_context(text: str | None) -> Any:
    """A ``context`` query parameter: None where absent, else its JSON object."""
    return None if text is None else json_input.loads(text, "context")
