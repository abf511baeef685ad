"""``/api/v1/runs/{run_id}/alerts``: record a run's alert (W&B's ``run.alert``), list them."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from fastapi import Request
from pydantic import BaseModel

from tracklog.server.auth import CAN_EDIT, CAN_READ
from tracklog.server.encoding import wire_router
from tracklog.server.state import StoreDep

router = wire_router(prefix="/api/v1", tags=["alerts"])


class NewAlert(BaseModel):
    alert_id: str
    title: str
    text: str = ""
    level: str = "INFO"
    time_ms: int | None = None


@router.post("/runs/{run_id}/alerts", dependencies=[CAN_EDIT])
def add_alert(run_id: str, body: NewAlert, request: Request, store: StoreDep) -> Any:
    """Record an alert; ``created`` is false for an id recorded before (nothing is sent
    to the webhook again)."""
    created = store.add_alert(
        run_id, body.alert_id, body.title, body.text, body.level, body.time_ms
    )
    webhook = request.app.state.alert_webhook
    if created and webhook is not None:
        webhook.notify(store, run_id, body.alert_id)
    return {"created": created}


@router.get("/runs/{run_id}/alerts", dependencies=[CAN_READ])
def list_alerts(run_id: str, store: StoreDep) -> Any:
    """The run's alerts in the order they were recorded."""
    return {"alerts": [asdict(a) for a in store.alerts(run_id)]}
