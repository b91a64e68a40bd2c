"""scenarios and their assumptions

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-22 05:30:06.747640
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "scenarios",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False, comment="A name people use"),
        sa.Column(
            "parent_id",
            sa.Integer(),
            nullable=True,
            comment="The scenario this one branches from; NULL means the base plan",
        ),
        sa.Column("description", sa.String(length=2000), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=100), nullable=False),
        sa.ForeignKeyConstraint(
            ["parent_id"], ["scenarios.id"], name=op.f("fk_scenarios_parent_id_scenarios")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_scenarios")),
        sa.UniqueConstraint("name", name=op.f("uq_scenarios_name")),
    )
    with op.batch_alter_table("scenarios", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_scenarios_parent_id"), ["parent_id"], unique=False)

    op.create_table(
        "scenario_assumptions",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("scenario_id", sa.Integer(), nullable=False),
        sa.Column(
            "position",
            sa.Integer(),
            nullable=False,
            comment="Order of application within the scenario",
        ),
        sa.Column(
            "kind",
            sa.String(length=40),
            nullable=False,
            comment="demand_change, capacity_change...",
        ),
        sa.Column(
            "target_level",
            sa.String(length=20),
            nullable=False,
            comment="item, family, location, region, resource or total",
        ),
        sa.Column("target", sa.String(length=64), nullable=False, comment="Code; empty = all"),
        sa.Column("period_from", sa.Date(), nullable=True, comment="First month it applies"),
        sa.Column("period_to", sa.Date(), nullable=True, comment="Last month it applies"),
        sa.Column("value", sa.Float(), nullable=False),
        sa.Column(
            "unit",
            sa.String(length=30),
            nullable=False,
            comment="percent, units, hours, currency...",
        ),
        sa.Column("note", sa.String(length=500), nullable=False),
        sa.ForeignKeyConstraint(
            ["scenario_id"],
            ["scenarios.id"],
            name=op.f("fk_scenario_assumptions_scenario_id_scenarios"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_scenario_assumptions")),
        sa.UniqueConstraint(
            "scenario_id", "position", name=op.f("uq_scenario_assumptions_scenario_id")
        ),
    )
    with op.batch_alter_table("scenario_assumptions", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_scenario_assumptions_scenario_id"), ["scenario_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("scenario_assumptions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_scenario_assumptions_scenario_id"))

    op.drop_table("scenario_assumptions")
    with op.batch_alter_table("scenarios", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_scenarios_parent_id"))

    op.drop_table("scenarios")
