"""Jobs: long runs (a forecast, a solve, a scenario, a report, the whole cycle) asked for by
someone, queued in the database, and run by a worker.

The table is the queue: a worker claims the oldest queued row (PostgreSQL: ``FOR UPDATE SKIP
LOCKED``; SQLite: one conditional UPDATE under the database's write lock), keeps a heartbeat
while it runs, and writes the result or the error on the same row. docs/jobs.md says why a table
and not a queue library.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from oneplan.db.base import Base

JOB_STATES = ["queued", "running", "succeeded", "failed", "cancelled"]
#: Where a running job is: the phase of the step it runs (``store`` writes to the database).
JOB_PHASES = ["load", "compute", "store"]


class Job(Base):
    __tablename__ = "jobs"
    __table_args__ = (
        sa.CheckConstraint(
            "state IN ('queued', 'running', 'succeeded', 'failed', 'cancelled')", name="state"
        ),
        sa.CheckConstraint("progress >= 0 AND progress <= 1", name="progress"),
        sa.Index("ix_jobs_state_id", "state", "id"),
        sa.Index("ix_jobs_owner", "owner"),
    )

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(sa.String(40), comment="What runs: demand, supply, cycle...")
    parameters: Mapped[dict[str, Any]] = mapped_column(
        sa.JSON, comment="The run's options, as the kind's parameter schema validated them"
    )
    owner: Mapped[str] = mapped_column(sa.String(100), comment="Who asked for it; runs as them")
    state: Mapped[str] = mapped_column(sa.String(20), comment="queued, running, succeeded...")
    progress: Mapped[float] = mapped_column(sa.Float, comment="Share done, 0 to 1")
    message: Mapped[str] = mapped_column(sa.String(300), comment="What it is doing now")
    step: Mapped[str | None] = mapped_column(sa.String(40), comment="The step running now")
    phase: Mapped[str | None] = mapped_column(sa.String(20), comment="load, compute or store")
    stored: Mapped[bool] = mapped_column(
        sa.Boolean, comment="Whether a store phase began: a stopped worker's job is then not rerun"
    )
    result: Mapped[dict[str, Any] | None] = mapped_column(
        sa.JSON, comment="What it made: the steps run, their figures and version ids"
    )
    error: Mapped[dict[str, Any] | None] = mapped_column(
        sa.JSON, comment="Why it failed: kind, message and the located problems"
    )
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True))
    started_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    finished_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    worker: Mapped[str | None] = mapped_column(sa.String(200), comment="The worker running it")
    heartbeat_at: Mapped[datetime | None] = mapped_column(
        sa.DateTime(timezone=True), comment="When its worker last said it is alive"
    )
    attempts: Mapped[int] = mapped_column(sa.Integer, comment="Times a worker claimed it")
    cancel_requested: Mapped[bool] = mapped_column(
        sa.Boolean, comment="Asked to stop; the worker stops at the next phase boundary"
    )
    version: Mapped[int] = mapped_column(
        sa.Integer, comment="Raised by every change: a reader can tell the row moved on"
    )


class JobLogLine(Base):
    """What a job did, one line at a time; lines are only ever added."""

    __tablename__ = "job_log"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    job_id: Mapped[int] = mapped_column(sa.ForeignKey("jobs.id", ondelete="CASCADE"), index=True)
    at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True))
    line: Mapped[str] = mapped_column(sa.Text)
