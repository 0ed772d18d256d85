"""model reports: scalars and plots reported for a model

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-06 10:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "model_events",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("model_id", sa.String(length=32), nullable=False),
        sa.Column("batch_id", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("metric", sa.String(length=255), nullable=False),
        sa.Column("variant", sa.String(length=255), nullable=False),
        sa.Column("iteration", sa.BigInteger(), nullable=False),
        sa.Column("time", sa.Double(), nullable=False),
        sa.Column("value", sa.Double(), nullable=True),
        sa.Column(
            "figure",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=True,
        ),
        sa.ForeignKeyConstraint(["model_id"], ["models.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        "ix_model_events_series",
        "model_events",
        ["model_id", "kind", "metric", "variant", "iteration"],
        unique=False,
    )
    op.create_index("ix_model_events_batch", "model_events", ["model_id", "batch_id"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_model_events_batch", table_name="model_events")
    op.drop_index("ix_model_events_series", table_name="model_events")
    op.drop_table("model_events")
