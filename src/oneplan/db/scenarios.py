"""Scenarios: a branch of the plan held as an ordered list of typed assumptions, not a copy.

A scenario branches from the base plan (``parent_id`` NULL) or from another scenario; running it
applies its ancestors' assumptions first, then its own, in ``position`` order.
"""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from oneplan.db.base import Base


class Scenario(Base):
    __tablename__ = "scenarios"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(sa.String(200), unique=True, comment="A name people use")
    parent_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("scenarios.id"),
        nullable=True,
        index=True,
        comment="The scenario this one branches from; NULL means the base plan",
    )
    description: Mapped[str] = mapped_column(sa.String(2000), default="")
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True))
    created_by: Mapped[str] = mapped_column(sa.String(100))
    version: Mapped[int] = mapped_column(
        sa.Integer,
        server_default="1",
        comment="Raised by every change to the scenario or its assumptions",
    )

    # The services raise it themselves: adding an assumption changes no column of the row.
    __mapper_args__ = {"version_id_col": version, "version_id_generator": False}  # noqa: RUF012


class ScenarioAssumption(Base):
    __tablename__ = "scenario_assumptions"
    __table_args__ = (sa.UniqueConstraint("scenario_id", "position"),)

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    scenario_id: Mapped[int] = mapped_column(
        sa.ForeignKey("scenarios.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int] = mapped_column(comment="Order of application within the scenario")
    kind: Mapped[str] = mapped_column(sa.String(40), comment="demand_change, capacity_change...")
    target_level: Mapped[str] = mapped_column(
        sa.String(20), comment="item, family, location, region, resource or total"
    )
    target: Mapped[str] = mapped_column(sa.String(64), default="", comment="Code; empty = all")
    period_from: Mapped[date | None] = mapped_column(sa.Date, comment="First month it applies")
    period_to: Mapped[date | None] = mapped_column(sa.Date, comment="Last month it applies")
    value: Mapped[float] = mapped_column(sa.Float)
    unit: Mapped[str] = mapped_column(sa.String(30), comment="percent, units, hours, currency...")
    note: Mapped[str] = mapped_column(sa.String(500), default="")
