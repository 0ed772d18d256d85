"""orchestration: queue stats, gone workers

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-30 17:20:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import corral.server.db.models

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "queue_stats",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("queue_id", sa.String(length=32), nullable=False),
        sa.Column("time", corral.server.db.models.UTCDateTime(), nullable=False),
        sa.Column("pending", sa.Integer(), nullable=False),
        sa.Column("wait", sa.Double(), nullable=True),
        sa.ForeignKeyConstraint(["queue_id"], ["queues.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_queue_stats_queue_time", "queue_stats", ["queue_id", "time"], unique=False)
    with op.batch_alter_table("workers", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("gone_at", corral.server.db.models.UTCDateTime(), nullable=True)
        )


def downgrade() -> None:
    with op.batch_alter_table("workers", schema=None) as batch_op:
        batch_op.drop_column("gone_at")
    op.drop_index("ix_queue_stats_queue_time", table_name="queue_stats")
    op.drop_table("queue_stats")
