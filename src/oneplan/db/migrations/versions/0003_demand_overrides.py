"""demand overrides

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22 04:35:13.356945
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "demand_overrides",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("cycle", sa.String(length=7), nullable=False, comment="S&OP month, e.g. 2027-01"),
        sa.Column(
            "level",
            sa.String(length=20),
            nullable=False,
            comment="Hierarchy level of the node changed",
        ),
        sa.Column(
            "member",
            sa.String(length=140),
            nullable=False,
            comment="Code at that level (ITEM|LOCATION for item_location; empty: total)",
        ),
        sa.Column("period", sa.Date(), nullable=False, comment="Month changed (first day)"),
        sa.Column(
            "kind",
            sa.String(length=10),
            nullable=False,
            comment="absolute: set the total; relative: change by a percent",
        ),
        sa.Column(
            "value", sa.Float(), nullable=False, comment="Units (absolute) or percent (relative)"
        ),
        sa.Column("reason", sa.String(length=500), nullable=False, comment="Why the plan changed"),
        sa.Column("author", sa.String(length=100), nullable=False, comment="Who changed it"),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column(
            "sequence",
            sa.Integer(),
            nullable=False,
            comment="Order of application within the cycle",
        ),
        sa.CheckConstraint(
            "kind <> 'absolute' OR value >= 0",
            name=op.f("ck_demand_overrides_absolute_not_negative"),
        ),
        sa.CheckConstraint(
            "kind <> 'relative' OR value >= -100",
            name=op.f("ck_demand_overrides_relative_above_minus_100"),
        ),
        sa.CheckConstraint(
            "kind IN ('absolute', 'relative')", name=op.f("ck_demand_overrides_kind_valid")
        ),
        sa.CheckConstraint(
            "level IN ('item', 'family', 'category', 'region', 'location', 'total', "
            "'item_location')",
            name=op.f("ck_demand_overrides_level_valid"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_demand_overrides")),
        sa.UniqueConstraint("cycle", "sequence", name="uq_demand_overrides_cycle_sequence"),
    )
    with op.batch_alter_table("demand_overrides", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_demand_overrides_cycle"), ["cycle"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("demand_overrides", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_demand_overrides_cycle"))

    op.drop_table("demand_overrides")
