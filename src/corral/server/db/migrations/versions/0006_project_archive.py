"""project archive: projects can be archived (hidden from the project list, kept whole)

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-06 15:40:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("projects") as b:
        b.add_column(sa.Column("archived", sa.Boolean(), nullable=False, server_default=sa.false()))


def downgrade() -> None:
    with op.batch_alter_table("projects") as b:
        b.drop_column("archived")
