"""cycles and their steps

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-05 07:48:01.126472
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "cycles",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("month", sa.String(length=7), nullable=False, comment="S&OP month, 2027-03"),
        sa.Column(
            "state", sa.String(length=10), nullable=False, comment="open, or closed once released"
        ),
        sa.Column(
            "plan_version_id",
            sa.Integer(),
            nullable=True,
            comment="The supply plan the executive meeting approved; released at the release step",
        ),
        sa.Column(
            "snapshot_version_id",
            sa.Integer(),
            nullable=True,
            comment="The plan released in this cycle, kept when the next cycle opens: what "
            "accuracy and adherence are measured against",
        ),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("opened_by", sa.String(length=100), nullable=False),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("closed_by", sa.String(length=100), nullable=True),
        sa.CheckConstraint("state IN ('open', 'closed')", name=op.f("ck_cycles_state_valid")),
        sa.ForeignKeyConstraint(
            ["plan_version_id"],
            ["plan_versions.id"],
            name=op.f("fk_cycles_plan_version_id_plan_versions"),
        ),
        sa.ForeignKeyConstraint(
            ["snapshot_version_id"],
            ["plan_versions.id"],
            name=op.f("fk_cycles_snapshot_version_id_plan_versions"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cycles")),
        sa.UniqueConstraint("month", name=op.f("uq_cycles_month")),
    )
    op.create_table(
        "decisions",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column(
            "taken_in", sa.String(length=7), nullable=False, comment="Cycle month it was taken in"
        ),
        sa.Column(
            "agenda",
            sa.String(length=7),
            nullable=False,
            comment="Cycle month whose agenda holds it (open ones move on)",
        ),
        sa.Column("text", sa.Text(), nullable=False, comment="What was decided"),
        sa.Column("owner", sa.String(length=100), nullable=False, comment="Who carries it out"),
        sa.Column("due_on", sa.Date(), nullable=True),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("scenario", sa.String(length=100), nullable=True, comment="Scenario it is about"),
        sa.Column(
            "issue_rank",
            sa.Integer(),
            nullable=True,
            comment="Rank of the issue on the meeting list it answers",
        ),
        sa.Column(
            "plan_version_id", sa.Integer(), nullable=True, comment="Plan version it is about"
        ),
        sa.Column("note", sa.Text(), nullable=True, comment="Why it was closed as it was"),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=100), nullable=False),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("closed_by", sa.String(length=100), nullable=True),
        sa.Column(
            "version",
            sa.Integer(),
            nullable=False,
            comment="Raised by every change: a stale change is refused",
        ),
        sa.CheckConstraint(
            "status IN ('open', 'done', 'dropped')", name=op.f("ck_decisions_status_valid")
        ),
        sa.ForeignKeyConstraint(
            ["plan_version_id"],
            ["plan_versions.id"],
            name=op.f("fk_decisions_plan_version_id_plan_versions"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_decisions")),
    )
    with op.batch_alter_table("decisions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_decisions_agenda"), ["agenda"], unique=False)

    op.create_table(
        "cycle_steps",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("cycle_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False, comment="1 for the first step"),
        sa.Column(
            "name", sa.String(length=40), nullable=False, comment="gather_data, demand_review, ..."
        ),
        sa.Column(
            "owner_role", sa.String(length=30), nullable=False, comment="The role that submits it"
        ),
        sa.Column(
            "owner_user",
            sa.String(length=100),
            nullable=True,
            comment="The one person who submits it, when named",
        ),
        sa.Column("due_on", sa.Date(), nullable=False, comment="From the calendar template"),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("submitted_by", sa.String(length=100), nullable=True),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column(
            "decided_by",
            sa.String(length=100),
            nullable=True,
            comment="Who approved or rejected it last",
        ),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column(
            "reason", sa.Text(), nullable=True, comment="Why it was last rejected or reopened"
        ),
        sa.Column(
            "plan_version_id",
            sa.Integer(),
            nullable=True,
            comment="The plan version put forward (executive meeting)",
        ),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("changed_by", sa.String(length=100), nullable=False),
        sa.Column(
            "version",
            sa.Integer(),
            nullable=False,
            comment="Raised by every move: a stale move is refused",
        ),
        sa.CheckConstraint(
            "name IN ('gather_data', 'demand_review', 'supply_review', 'pre_sop', "
            "'executive_meeting', 'release')",
            name=op.f("ck_cycle_steps_name_valid"),
        ),
        sa.CheckConstraint(
            "state IN ('not_started', 'in_progress', 'submitted', 'approved', 'rejected', 'done')",
            name=op.f("ck_cycle_steps_state_valid"),
        ),
        sa.ForeignKeyConstraint(
            ["cycle_id"],
            ["cycles.id"],
            name=op.f("fk_cycle_steps_cycle_id_cycles"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["plan_version_id"],
            ["plan_versions.id"],
            name=op.f("fk_cycle_steps_plan_version_id_plan_versions"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cycle_steps")),
        sa.UniqueConstraint("cycle_id", "name", name=op.f("uq_cycle_steps_cycle_id")),
    )
    with op.batch_alter_table("cycle_steps", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_cycle_steps_cycle_id"), ["cycle_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("cycle_steps", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_cycle_steps_cycle_id"))

    op.drop_table("cycle_steps")
    with op.batch_alter_table("decisions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_decisions_agenda"))

    op.drop_table("decisions")
    op.drop_table("cycles")
