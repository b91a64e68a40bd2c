"""Plan versions: the immutable result of one run, with every output frame it produced.

A version's frames are stored as Parquet, one row per frame: typed, compressed, identical on SQLite
and PostgreSQL, and new engines can add outputs without a schema change. A version never changes
after it is written; later states (approve, release, supersede) only move its `state`.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from oneplan.db.base import Base

PLAN_STATES = ["draft", "proposed", "approved", "released", "superseded"]


class PlanVersion(Base):
    __tablename__ = "plan_versions"
    __table_args__ = (
        sa.CheckConstraint(
            "state IN ({})".format(", ".join(f"'{s}'" for s in PLAN_STATES)), name="state_valid"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    cycle: Mapped[str] = mapped_column(sa.String(7), comment="S&OP month, e.g. 2027-01")
    kind: Mapped[str] = mapped_column(sa.String(40), comment="What was run: demand, supply...")
    name: Mapped[str] = mapped_column(sa.String(200), comment="A label people recognise")
    state: Mapped[str] = mapped_column(sa.String(20), default="draft")
    content_hash: Mapped[str] = mapped_column(
        sa.String(64), comment="SHA-256 of every input, setting and engine version"
    )
    settings: Mapped[dict[str, Any]] = mapped_column(sa.JSON, comment="Settings of the run")
    summary: Mapped[dict[str, Any]] = mapped_column(
        sa.JSON, comment="Headline figures and solver status, for lists and reports"
    )
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True))
    created_by: Mapped[str] = mapped_column(sa.String(100))
    state_changed_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    state_changed_by: Mapped[str | None] = mapped_column(sa.String(100))
    version: Mapped[int] = mapped_column(
        sa.Integer,
        server_default="1",
        comment="Raised by every state move: an edit made on an older state is refused",
    )

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012


class PlanFrame(Base):
    __tablename__ = "plan_frames"

    version_id: Mapped[int] = mapped_column(
        sa.ForeignKey("plan_versions.id", ondelete="CASCADE"), primary_key=True
    )
    name: Mapped[str] = mapped_column(sa.String(80), primary_key=True, comment="e.g. supply_plan")
    rows: Mapped[int] = mapped_column(comment="Row count, for listings without loading")
    data: Mapped[bytes] = mapped_column(sa.LargeBinary, comment="The frame as Parquet")
