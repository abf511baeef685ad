"""context summaries: a summary per (key, context) series of the runs stored before

Runs logged before this revision have summaries of their context-free series only; each of
their series tracked with a context gets its summary (``acc[subset=val]``) now, under the
run's ``define_metric`` modes, as a new run's would. Values set by hand are left alone.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-07 14:40:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from tracklog.store import schema, series, stored_json
from tracklog.store.derived_summary import derived_summaries, summary_modes, summary_rows
from tracklog.store.engine import insert_missing

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    conn = op.get_bind()
    runs, metric_series = schema.runs, schema.metric_series
    with_context = sa.select(metric_series.c.run_id).where(metric_series.c.context != "")
    found = sa.select(runs.c.id, runs.c.metric_defs).where(runs.c.id.in_(with_context))
    for run_id, defs in conn.execute(found).all():
        stats = [s for s in series.list_stats(conn, [run_id])[run_id] if s.context]
        values = derived_summaries(stats, summary_modes(stored_json.loads(defs)))
        rows = summary_rows(run_id, values, explicit=False)
        insert_missing(conn, schema.run_summary, rows, ("run_id", "key"))


def downgrade() -> None:
    """Nothing to undo: the rows added are summary values an earlier version reads as such."""
