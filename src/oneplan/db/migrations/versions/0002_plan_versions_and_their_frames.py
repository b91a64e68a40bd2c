"""plan versions and their frames

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22 04:28:15.419740
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "plan_versions",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("cycle", sa.String(length=7), nullable=False, comment="S&OP month, e.g. 2027-01"),
        sa.Column(
            "kind", sa.String(length=40), nullable=False, comment="What was run: demand, supply..."
        ),
        sa.Column(
            "name", sa.String(length=200), nullable=False, comment="A label people recognise"
        ),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column(
            "content_hash",
            sa.String(length=64),
            nullable=False,
            comment="SHA-256 of every input, setting and engine version",
        ),
        sa.Column("settings", sa.JSON(), nullable=False, comment="Settings of the run"),
        sa.Column(
            "summary",
            sa.JSON(),
            nullable=False,
            comment="Headline figures and solver status, for lists and reports",
        ),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=100), nullable=False),
        sa.Column("state_changed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("state_changed_by", sa.String(length=100), nullable=True),
        sa.CheckConstraint(
            "state IN ('draft', 'proposed', 'approved', 'released', 'superseded')",
            name=op.f("ck_plan_versions_state_valid"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_plan_versions")),
    )
    op.create_table(
        "plan_frames",
        sa.Column("version_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=80), nullable=False, comment="e.g. supply_plan"),
        sa.Column(
            "rows", sa.Integer(), nullable=False, comment="Row count, for listings without loading"
        ),
        sa.Column("data", sa.LargeBinary(), nullable=False, comment="The frame as Parquet"),
        sa.ForeignKeyConstraint(
            ["version_id"],
            ["plan_versions.id"],
            name=op.f("fk_plan_frames_version_id_plan_versions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("version_id", "name", name=op.f("pk_plan_frames")),
    )


def downgrade() -> None:
    op.drop_table("plan_frames")
    op.drop_table("plan_versions")
