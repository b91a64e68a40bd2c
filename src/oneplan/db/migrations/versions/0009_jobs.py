"""jobs and their log: the table the workers claim long runs from

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-05 07:32:12.364201
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "jobs",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column(
            "kind",
            sa.String(length=40),
            nullable=False,
            comment="What runs: demand, supply, cycle...",
        ),
        sa.Column(
            "parameters",
            sa.JSON(),
            nullable=False,
            comment="The run's options, as the kind's parameter schema validated them",
        ),
        sa.Column(
            "owner", sa.String(length=100), nullable=False, comment="Who asked for it; runs as them"
        ),
        sa.Column(
            "state", sa.String(length=20), nullable=False, comment="queued, running, succeeded..."
        ),
        sa.Column("progress", sa.Float(), nullable=False, comment="Share done, 0 to 1"),
        sa.Column("message", sa.String(length=300), nullable=False, comment="What it is doing now"),
        sa.Column("step", sa.String(length=40), nullable=True, comment="The step running now"),
        sa.Column("phase", sa.String(length=20), nullable=True, comment="load, compute or store"),
        sa.Column(
            "stored",
            sa.Boolean(),
            nullable=False,
            comment="Whether a store phase began: a stopped worker's job is then not rerun",
        ),
        sa.Column(
            "result",
            sa.JSON(),
            nullable=True,
            comment="What it made: the steps run, their figures and version ids",
        ),
        sa.Column(
            "error",
            sa.JSON(),
            nullable=True,
            comment="Why it failed: kind, message and the located problems",
        ),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("worker", sa.String(length=200), nullable=True, comment="The worker running it"),
        sa.Column(
            "heartbeat_at",
            sa.DateTime(timezone=True),
            nullable=True,
            comment="When its worker last said it is alive",
        ),
        sa.Column("attempts", sa.Integer(), nullable=False, comment="Times a worker claimed it"),
        sa.Column(
            "cancel_requested",
            sa.Boolean(),
            nullable=False,
            comment="Asked to stop; the worker stops at the next phase boundary",
        ),
        sa.Column(
            "version",
            sa.Integer(),
            nullable=False,
            comment="Raised by every change: a reader can tell the row moved on",
        ),
        sa.CheckConstraint(
            "state IN ('queued', 'running', 'succeeded', 'failed', 'cancelled')",
            name=op.f("ck_jobs_state"),
        ),
        sa.CheckConstraint("progress >= 0 AND progress <= 1", name=op.f("ck_jobs_progress")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_jobs")),
    )
    with op.batch_alter_table("jobs", schema=None) as batch_op:
        batch_op.create_index("ix_jobs_owner", ["owner"], unique=False)
        batch_op.create_index("ix_jobs_state_id", ["state", "id"], unique=False)

    op.create_table(
        "job_log",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("job_id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("line", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["job_id"], ["jobs.id"], name=op.f("fk_job_log_job_id_jobs"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_job_log")),
    )
    with op.batch_alter_table("job_log", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_job_log_job_id"), ["job_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("job_log", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_job_log_job_id"))

    op.drop_table("job_log")
    with op.batch_alter_table("jobs", schema=None) as batch_op:
        batch_op.drop_index("ix_jobs_state_id")
        batch_op.drop_index("ix_jobs_owner")

    op.drop_table("jobs")
