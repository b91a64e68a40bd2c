"""Demand overrides: a person's change to the demand plan, kept forever.

An override names a node of the hierarchy (an item, a family, a region, one item at one location,
the total...) and a month, and either sets the node's total (``absolute``) or changes it by a
percentage (``relative``). The demand step applies a cycle's overrides in ``sequence`` order and
splits each to item x location in proportion to the plan as it stands. Rows are never deleted:
forecast value added is measured from them; an override taken back is marked withdrawn and stops
applying.
"""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from oneplan.db.base import Base

OVERRIDE_LEVELS = ["item", "family", "category", "region", "location", "total", "item_location"]
OVERRIDE_KINDS = ["absolute", "relative"]


def _choices(column: str, allowed: list[str]) -> str:
    return "{} IN ({})".format(column, ", ".join(f"'{a}'" for a in allowed))


class DemandOverride(Base):
    __tablename__ = "demand_overrides"
    __table_args__ = (
        sa.CheckConstraint(_choices("level", OVERRIDE_LEVELS), name="level_valid"),
        sa.CheckConstraint(_choices("kind", OVERRIDE_KINDS), name="kind_valid"),
        sa.CheckConstraint("kind <> 'absolute' OR value >= 0", name="absolute_not_negative"),
        sa.CheckConstraint("kind <> 'relative' OR value >= -100", name="relative_above_minus_100"),
        sa.UniqueConstraint("cycle", "sequence", name="uq_demand_overrides_cycle_sequence"),
    )

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    cycle: Mapped[str] = mapped_column(sa.String(7), index=True, comment="S&OP month, e.g. 2027-01")
    level: Mapped[str] = mapped_column(sa.String(20), comment="Hierarchy level of the node changed")
    member: Mapped[str] = mapped_column(
        sa.String(140), comment="Code at that level (ITEM|LOCATION for item_location; empty: total)"
    )
    period: Mapped[date] = mapped_column(sa.Date, comment="Month changed (first day)")
    kind: Mapped[str] = mapped_column(
        sa.String(10), comment="absolute: set the total; relative: change by a percent"
    )
    value: Mapped[float] = mapped_column(sa.Float, comment="Units (absolute) or percent (relative)")
    reason: Mapped[str] = mapped_column(sa.String(500), comment="Why the plan changed")
    author: Mapped[str] = mapped_column(sa.String(100), comment="Who changed it")
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True))
    sequence: Mapped[int] = mapped_column(comment="Order of application within the cycle")
    withdrawn_at: Mapped[datetime | None] = mapped_column(
        sa.DateTime(timezone=True), comment="When it stopped applying; kept as a record"
    )
    withdrawn_by: Mapped[str | None] = mapped_column(sa.String(100))
    version: Mapped[int] = mapped_column(
        sa.Integer, server_default="1", comment="Raised by every change"
    )

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012
