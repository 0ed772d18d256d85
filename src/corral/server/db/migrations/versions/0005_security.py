"""multi-user security: teams, project members, scoped keys, audit log, login throttle, quotas

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-06 12:40:00
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")
BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def _time(name: str, nullable: bool = True) -> sa.Column[datetime]:
    return sa.Column(name, sa.DateTime(), nullable=nullable)


def upgrade() -> None:
    with op.batch_alter_table("users") as b:
        b.add_column(sa.Column("kind", sa.String(16), nullable=False, server_default="person"))
        b.add_column(_time("password_changed_at"))
        b.add_column(sa.Column("allowed_ips", JSON, nullable=False, server_default="[]"))
        b.add_column(
            sa.Column("auth_source", sa.String(16), nullable=False, server_default="local")
        )
        b.add_column(sa.Column("external_id", sa.String(512), nullable=True))
        b.create_unique_constraint("uq_users_external_id", ["external_id"])
    with op.batch_alter_table("api_keys") as b:
        b.add_column(sa.Column("kind", sa.String(16), nullable=False, server_default="user"))
        b.add_column(sa.Column("read_only", sa.Boolean(), nullable=False, server_default="0"))
        b.add_column(sa.Column("projects", JSON, nullable=False, server_default="[]"))
        b.add_column(sa.Column("allowed_ips", JSON, nullable=False, server_default="[]"))
        b.add_column(sa.Column("task_id", sa.String(32), nullable=True))
        b.add_column(_time("expires_at"))
        b.add_column(sa.Column("last_used_address", sa.String(64), nullable=True))
        b.create_foreign_key(
            "fk_api_keys_task_id", "tasks", ["task_id"], ["id"], ondelete="CASCADE"
        )
        b.create_index("ix_api_keys_task_id", ["task_id"])
    with op.batch_alter_table("web_sessions") as b:
        b.add_column(_time("last_seen_at"))
        b.add_column(sa.Column("address", sa.String(64), nullable=True))
        b.add_column(sa.Column("user_agent", sa.String(255), nullable=False, server_default=""))

    op.create_table(
        "teams",
        sa.Column("id", sa.String(32), nullable=False),
        sa.Column("name", sa.String(255), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("source", sa.String(16), nullable=False),
        _time("created_at", nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("name"),
    )
    op.create_table(
        "team_members",
        sa.Column("team_id", sa.String(32), nullable=False),
        sa.Column("user_id", sa.String(32), nullable=False),
        _time("added_at", nullable=False),
        sa.ForeignKeyConstraint(["team_id"], ["teams.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("team_id", "user_id"),
    )
    op.create_index("ix_team_members_user_id", "team_members", ["user_id"])
    op.create_table(
        "project_members",
        sa.Column("project_id", sa.String(32), nullable=False),
        sa.Column("member_type", sa.String(8), nullable=False),
        sa.Column("member_id", sa.String(32), nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        _time("created_at", nullable=False),
        sa.ForeignKeyConstraint(["project_id"], ["projects.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("project_id", "member_type", "member_id"),
    )
    op.create_index("ix_project_members_member_id", "project_members", ["member_id"])
    op.create_table(
        "login_throttle",
        sa.Column("subject", sa.String(320), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        _time("first_failure_at", nullable=False),
        _time("last_failure_at", nullable=False),
        _time("next_attempt_at"),
        _time("locked_until"),
        sa.PrimaryKeyConstraint("subject"),
    )
    op.create_table(
        "audit_entries",
        sa.Column("id", BIG_ID, autoincrement=True, nullable=False),
        _time("time", nullable=False),
        sa.Column("actor_id", sa.String(32), nullable=True),
        sa.Column("actor_name", sa.String(255), nullable=False),
        sa.Column("action", sa.String(64), nullable=False),
        sa.Column("target_type", sa.String(32), nullable=False),
        sa.Column("target_id", sa.String(255), nullable=False),
        sa.Column("target_name", sa.String(1024), nullable=False),
        sa.Column("address", sa.String(64), nullable=True),
        sa.Column("outcome", sa.String(16), nullable=False),
        sa.Column("detail", JSON, nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_audit_time", "audit_entries", ["time"])
    op.create_index("ix_audit_actor", "audit_entries", ["actor_id", "id"])
    op.create_index("ix_audit_action", "audit_entries", ["action", "id"])
    op.create_table(
        "quotas",
        sa.Column("id", sa.String(32), nullable=False),
        sa.Column("subject_type", sa.String(8), nullable=False),
        sa.Column("subject_id", sa.String(32), nullable=False),
        sa.Column("queue_id", sa.String(32), nullable=True),
        sa.Column("max_running", sa.Integer(), nullable=True),
        sa.Column("max_storage_bytes", sa.BigInteger(), nullable=True),
        _time("created_at", nullable=False),
        sa.ForeignKeyConstraint(["queue_id"], ["queues.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("subject_type", "subject_id", "queue_id"),
    )
    op.create_table(
        "stored_objects",
        sa.Column("path", sa.String(1024), nullable=False),
        sa.Column("user_id", sa.String(32), nullable=True),
        sa.Column("project_id", sa.String(32), nullable=True),
        sa.Column("size", sa.BigInteger(), nullable=False),
        _time("created_at", nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["project_id"], ["projects.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("path"),
    )
    op.create_index("ix_stored_objects_user_id", "stored_objects", ["user_id"])
    op.create_index("ix_stored_objects_project_id", "stored_objects", ["project_id"])


def downgrade() -> None:
    for table in (
        "stored_objects",
        "quotas",
        "audit_entries",
        "login_throttle",
        "project_members",
        "team_members",
        "teams",
    ):
        op.drop_table(table)
    with op.batch_alter_table("web_sessions") as b:
        for col in ("user_agent", "address", "last_seen_at"):
            b.drop_column(col)
    with op.batch_alter_table("api_keys") as b:
        b.drop_index("ix_api_keys_task_id")
        b.drop_constraint("fk_api_keys_task_id", type_="foreignkey")
        for col in (
            "last_used_address",
            "expires_at",
            "task_id",
            "allowed_ips",
            "projects",
            "read_only",
            "kind",
        ):
            b.drop_column(col)
    with op.batch_alter_table("users") as b:
        b.drop_constraint("uq_users_external_id", type_="unique")
        for col in ("external_id", "auth_source", "allowed_ips", "password_changed_at", "kind"):
            b.drop_column(col)
