"""The S&OP cycle as people move through it: one row per month, its steps with their sign-offs,
and the decisions of its executive meeting (docs/cycle.md).

A step carries a ``version`` raised by every move (SQLAlchemy's version counter): a move made
on a step someone else moved in the meantime is refused, never applied over theirs.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from oneplan.choices import CycleStep, DecisionStatus, StepState
from oneplan.db.base import Base


def _one_of(column: str, choices: type[CycleStep | StepState | DecisionStatus], name: str) -> Any:
    return sa.CheckConstraint(
        "{} IN ({})".format(column, ", ".join(f"'{c.value}'" for c in choices)), name=name
    )


class Cycle(Base):
    """One S&OP month, opened from the company's calendar template."""

    __tablename__ = "cycles"
    __table_args__ = (sa.CheckConstraint("state IN ('open', 'closed')", name="state_valid"),)

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    month: Mapped[str] = mapped_column(sa.String(7), unique=True, comment="S&OP month, 2027-03")
    state: Mapped[str] = mapped_column(sa.String(10), comment="open, or closed once released")
    plan_version_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("plan_versions.id"),
        comment="The supply plan the executive meeting approved; released at the release step",
    )
    snapshot_version_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("plan_versions.id"),
        comment="The plan released in this cycle, kept when the next cycle opens: what "
        "accuracy and adherence are measured against",
    )
    opened_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True))
    opened_by: Mapped[str] = mapped_column(sa.String(100))
    closed_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    closed_by: Mapped[str | None] = mapped_column(sa.String(100))

    steps: Mapped[list[CycleStepRow]] = relationship(
        back_populates="cycle", cascade="all, delete-orphan", order_by="CycleStepRow.position"
    )


class CycleStepRow(Base):
    """One step of a cycle: who owns it, when it is due, where it is and who moved it last."""

    __tablename__ = "cycle_steps"
    __table_args__ = (
        _one_of("name", CycleStep, "name_valid"),
        _one_of("state", StepState, "state_valid"),
        sa.UniqueConstraint("cycle_id", "name"),
    )

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    cycle_id: Mapped[int] = mapped_column(
        sa.ForeignKey("cycles.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int] = mapped_column(sa.Integer, comment="1 for the first step")
    name: Mapped[str] = mapped_column(sa.String(40), comment="gather_data, demand_review, ...")
    owner_role: Mapped[str] = mapped_column(sa.String(30), comment="The role that submits it")
    owner_user: Mapped[str | None] = mapped_column(
        sa.String(100), comment="The one person who submits it, when named"
    )
    due_on: Mapped[date] = mapped_column(sa.Date, comment="From the calendar template")
    state: Mapped[str] = mapped_column(sa.String(20))
    submitted_by: Mapped[str | None] = mapped_column(sa.String(100))
    submitted_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    decided_by: Mapped[str | None] = mapped_column(
        sa.String(100), comment="Who approved or rejected it last"
    )
    decided_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    reason: Mapped[str | None] = mapped_column(
        sa.Text, comment="Why it was last rejected or reopened"
    )
    plan_version_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("plan_versions.id"),
        comment="The plan version put forward (executive meeting)",
    )
    changed_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True))
    changed_by: Mapped[str] = mapped_column(sa.String(100))
    version: Mapped[int] = mapped_column(
        sa.Integer, comment="Raised by every move: a stale move is refused"
    )

    cycle: Mapped[Cycle] = relationship(back_populates="steps")

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012


class Decision(Base):
    """A decision of the executive meeting; an open one stays on the agenda month after month."""

    __tablename__ = "decisions"
    __table_args__ = (_one_of("status", DecisionStatus, "status_valid"),)

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    taken_in: Mapped[str] = mapped_column(sa.String(7), comment="Cycle month it was taken in")
    agenda: Mapped[str] = mapped_column(
        sa.String(7), index=True, comment="Cycle month whose agenda holds it (open ones move on)"
    )
    text: Mapped[str] = mapped_column(sa.Text, comment="What was decided")
    owner: Mapped[str] = mapped_column(sa.String(100), comment="Who carries it out")
    due_on: Mapped[date | None] = mapped_column(sa.Date)
    status: Mapped[str] = mapped_column(sa.String(10))
    scenario: Mapped[str | None] = mapped_column(sa.String(100), comment="Scenario it is about")
    issue_rank: Mapped[int | None] = mapped_column(
        sa.Integer, comment="Rank of the issue on the meeting list it answers"
    )
    plan_version_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("plan_versions.id"), comment="Plan version it is about"
    )
    note: Mapped[str | None] = mapped_column(sa.Text, comment="Why it was closed as it was")
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True))
    created_by: Mapped[str] = mapped_column(sa.String(100))
    closed_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    closed_by: Mapped[str | None] = mapped_column(sa.String(100))
    version: Mapped[int] = mapped_column(
        sa.Integer, comment="Raised by every change: a stale change is refused"
    )

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012
