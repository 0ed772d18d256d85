"""datasets: versions, parents, file index, removals, blobs, usages

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-06 18:50:00
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")
#: paths sort as bytes on PostgreSQL too (collation "C"), as on SQLite and in Python
PATH = sa.Text().with_variant(sa.Text(collation="C"), "postgresql")


def _time(name: str, nullable: bool = True) -> sa.Column[datetime]:
    return sa.Column(name, sa.DateTime(), nullable=nullable)


def _version_fk(column: str, ondelete: str = "CASCADE") -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint([column], ["dataset_versions.id"], ondelete=ondelete)


def upgrade() -> None:
    op.create_table(
        "dataset_versions",
        sa.Column("id", sa.String(32), nullable=False),
        sa.Column("project_id", sa.String(32), nullable=False),
        sa.Column("name", sa.String(255), nullable=False),
        sa.Column("version", sa.String(32), nullable=False),
        sa.Column("version_key", sa.String(32), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("output_uri", sa.Text(), nullable=False),
        _time("created_at", nullable=False),
        _time("finalized_at"),
        sa.Column("stats", JSON, nullable=False),
        sa.ForeignKeyConstraint(["id"], ["tasks.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["project_id"], ["projects.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("project_id", "name", "version_key", name="uq_dataset_versions_key"),
    )
    op.create_index("ix_dataset_versions_name", "dataset_versions", ["name", "project_id"])
    op.create_index("ix_dataset_versions_created", "dataset_versions", ["created_at"])
    op.create_table(
        "dataset_parents",
        sa.Column("child_id", sa.String(32), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("parent_id", sa.String(32), nullable=False),
        _version_fk("child_id"),
        _version_fk("parent_id"),
        sa.PrimaryKeyConstraint("child_id", "position"),
    )
    op.create_index("ix_dataset_parents_parent_id", "dataset_parents", ["parent_id"])
    op.create_table(
        "dataset_files",
        sa.Column("version_id", sa.String(32), nullable=False),
        sa.Column("path", PATH, nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("blob_id", sa.String(64), nullable=True),
        sa.Column("change", sa.String(16), nullable=False),
        sa.Column("parent_sha256", sa.String(64), nullable=True),
        sa.Column("parent_size", sa.BigInteger(), nullable=True),
        sa.Column("source", sa.Text(), nullable=True),
        sa.Column("external_url", sa.Text(), nullable=True),
        _version_fk("version_id"),
        sa.PrimaryKeyConstraint("version_id", "path"),
    )
    op.create_index("ix_dataset_files_sha", "dataset_files", ["sha256", "version_id"])
    op.create_index("ix_dataset_files_blob", "dataset_files", ["blob_id"])
    op.create_table(
        "dataset_removals",
        sa.Column("version_id", sa.String(32), nullable=False),
        sa.Column("path", PATH, nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        _version_fk("version_id"),
        sa.PrimaryKeyConstraint("version_id", "path"),
    )
    op.create_table(
        "dataset_blobs",
        sa.Column("id", sa.String(64), nullable=False),
        sa.Column("uri", sa.Text(), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("kind", sa.String(8), nullable=False),
        sa.Column("compression", sa.String(8), nullable=False),
        sa.Column("version_id", sa.String(32), nullable=True),
        _time("created_at", nullable=False),
        _version_fk("version_id", "SET NULL"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_dataset_blobs_version_id", "dataset_blobs", ["version_id"])
    op.create_table(
        "dataset_usages",
        sa.Column("task_id", sa.String(32), nullable=False),
        sa.Column("alias", sa.String(255), nullable=False),
        sa.Column("version_id", sa.String(32), nullable=False),
        _time("used_at", nullable=False),
        sa.ForeignKeyConstraint(["task_id"], ["tasks.id"], ondelete="CASCADE"),
        _version_fk("version_id"),
        sa.PrimaryKeyConstraint("task_id", "alias"),
    )
    op.create_index("ix_dataset_usages_version_id", "dataset_usages", ["version_id"])


def downgrade() -> None:
    for table in (
        "dataset_usages",
        "dataset_blobs",
        "dataset_removals",
        "dataset_files",
        "dataset_parents",
        "dataset_versions",
    ):
        op.drop_table(table)
