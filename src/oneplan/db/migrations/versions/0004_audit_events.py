"""audit events

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-22 05:16:51.900624
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "audit_events",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False, comment="When it happened"),
        sa.Column("actor", sa.String(length=100), nullable=False, comment="Who did it"),
        sa.Column(
            "action",
            sa.String(length=60),
            nullable=False,
            comment="What was done, e.g. plan.approve, import.done, demand.override",
        ),
        sa.Column(
            "subject_type",
            sa.String(length=60),
            nullable=False,
            comment="Kind of thing acted on, e.g. plan_version, import",
        ),
        sa.Column("subject_id", sa.String(length=200), nullable=False, comment="Its id, as text"),
        sa.Column(
            "detail",
            sa.JSON(),
            nullable=False,
            comment="What changed: states before and after, counts, reasons",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_events")),
    )
    with op.batch_alter_table("audit_events", schema=None) as batch_op:
        batch_op.create_index(
            "ix_audit_events_subject", ["subject_type", "subject_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("audit_events", schema=None) as batch_op:
        batch_op.drop_index("ix_audit_events_subject")

    op.drop_table("audit_events")
