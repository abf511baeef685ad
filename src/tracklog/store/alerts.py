"""A run's alerts (W&B's ``run.alert``) in SQL: recorded once per id, read in the order
they were recorded."""

from __future__ import annotations

from sqlalchemy import Connection, select

from tracklog.store import schema
from tracklog.store.engine import insert_missing
from tracklog.store.records import Alert

_A = schema.run_alerts


def add(conn: Connection, alert: Alert) -> bool:
    """Record ``alert`` (checked already); False when its id was recorded before."""
    row = {
        "id": alert.id,
        "run_id": alert.run_id,
        "title": alert.title,
        "text": alert.text,
        "level": alert.level,
        "time_ms": alert.time_ms,
    }
    return bool(insert_missing(conn, _A, [row], ("run_id", "id")))


def of_run(conn: Connection, run_id: str) -> list[Alert]:
    """The run's alerts in the order they were recorded."""
    rows = conn.execute(select(_A).where(_A.c.run_id == run_id).order_by(_A.c.seq))
    return [Alert(r.id, r.run_id, r.title, r.text, r.level, r.time_ms) for r in rows]
