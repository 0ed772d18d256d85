"""project activity: tasks indexed by project and last update

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-30 23:40:00
"""

from __future__ import annotations

from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index(
        "ix_tasks_project_updated", "tasks", ["project_id", "last_update"], unique=False
    )


def downgrade() -> None:
    op.drop_index("ix_tasks_project_updated", table_name="tasks")
