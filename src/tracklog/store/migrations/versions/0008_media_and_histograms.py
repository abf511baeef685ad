"""media and histograms

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-07 14:10:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _common(table: str) -> list[sa.schema.SchemaItem]:
    return [
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("run_id", sa.String(length=32), nullable=False),
        sa.Column("key", sa.String(length=250), nullable=False),
        sa.Column("context", sa.Text(), nullable=False),
        sa.Column("step", sa.BigInteger(), nullable=False),
        sa.Column("time_ms", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["run_id"], ["runs.id"], name=op.f(f"fk_{table}_run_id_runs"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f(f"pk_{table}")),
    ]


def upgrade() -> None:
    op.create_table(
        "run_media",
        *_common("run_media"),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("path", sa.String(length=1024), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("meta", sa.Text(), nullable=False),
    )
    op.create_index("ix_run_media_run_key_step", "run_media", ["run_id", "key", "context", "step"])
    op.create_table(
        "run_histograms",
        *_common("run_histograms"),
        sa.Column("edges", sa.LargeBinary(), nullable=False),
        sa.Column("counts", sa.LargeBinary(), nullable=False),
    )
    op.create_index(
        "ix_run_histograms_run_key_step", "run_histograms", ["run_id", "key", "context", "step"]
    )


def downgrade() -> None:
    op.drop_index("ix_run_histograms_run_key_step", table_name="run_histograms")
    op.drop_table("run_histograms")
    op.drop_index("ix_run_media_run_key_step", table_name="run_media")
    op.drop_table("run_media")
