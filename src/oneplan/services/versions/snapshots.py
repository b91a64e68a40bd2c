"""The plans each closed cycle kept, as frames: its released supply plan (the snapshot kept
when the next month opened, or the plan its release step released while the next month is not
open yet), the demand plan it served (the supply run's ``demand_version``) and the financial plan
that valued it (the newest finance run of that supply plan). KPIs cycle over cycle
(`oneplan.services.cycle.kpis`) and the executive pack's trend page read them.
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.orm import Session

from oneplan.choices import CycleStep
from oneplan.db.cycles import Cycle, CycleStepRow
from oneplan.db.plans import PlanVersion
from oneplan.engines.frames import parse_month
from oneplan.engines.pipeline.trend import (
    DEMAND_FRAMES,
    FINANCE_FRAMES,
    SUPPLY_FRAMES,
    CycleSnapshot,
)
from oneplan.errors import InputError
from oneplan.services.versions.lifecycle import SUPPLY_PLANS
from oneplan.services.versions.store import load_frames

#: The package tables the trend reads: the actuals and what explains them.
ACTUAL_TABLES = [
    "parameters",
    "items",
    "families",
    "locations",
    "sales_history",
    "production_actuals",
    "routings",
]


def _snapshot_of(session: Session, cycle: Cycle) -> int | None:
    """The plan kept for ``cycle``; before the next month opens, the plan it released."""
    if cycle.snapshot_version_id is not None:
        return cycle.snapshot_version_id
    return session.scalar(
        sa.select(PlanVersion.id)
        .where(
            PlanVersion.cycle == cycle.month,
            PlanVersion.kind.in_(SUPPLY_PLANS),
            PlanVersion.state == "released",
        )
        .order_by(PlanVersion.id.desc())
        .limit(1)
    )


def _demand_of(session: Session, supply: PlanVersion) -> int | None:
    """The demand plan a supply plan served: the one its run names, else the cycle's newest."""
    named = (supply.settings or {}).get("demand_version")
    if isinstance(named, int) and session.get(PlanVersion, named) is not None:
        return named
    return session.scalar(
        sa.select(PlanVersion.id)
        .where(
            PlanVersion.kind == "demand",
            PlanVersion.cycle == supply.cycle,
            PlanVersion.state != "superseded",
        )
        .order_by(PlanVersion.id.desc())
        .limit(1)
    )


def _finance_of(session: Session, supply: PlanVersion) -> int | None:
    """The newest financial plan that valued this supply plan, if any."""
    runs = session.execute(
        sa.select(PlanVersion.id, PlanVersion.settings)
        .where(PlanVersion.kind == "finance", PlanVersion.cycle == supply.cycle)
        .order_by(PlanVersion.id.desc())
    ).all()
    return next(
        (id_ for id_, kept in runs if (kept or {}).get("supply_version") == supply.id), None
    )


def _released_at(session: Session, cycle: Cycle) -> object:
    """When the cycle's release was approved (its close, for a cycle without the step)."""
    decided = session.scalar(
        sa.select(CycleStepRow.decided_at).where(
            CycleStepRow.cycle_id == cycle.id, CycleStepRow.name == CycleStep.release.value
        )
    )
    return decided if decided is not None else cycle.closed_at


def load_snapshots(session: Session, months: Sequence[str] | None = None) -> list[CycleSnapshot]:
    """The stored frames of every closed cycle (or of ``months``), oldest first."""
    query = sa.select(Cycle).where(Cycle.state == "closed").order_by(Cycle.month)
    if months:
        wanted = []
        for month in months:
            if parse_month(month) is None or len(month.strip()) != 7:
                raise InputError(
                    f"is {month!r}, need a month like 2027-03", table="cycle", column="month"
                )
            wanted.append(month.strip())
        query = query.where(Cycle.month.in_(wanted))
    snapshots = []
    for cycle in session.scalars(query).all():
        supply_id = _snapshot_of(session, cycle)
        supply = session.get(PlanVersion, supply_id) if supply_id is not None else None
        frames: dict[str, dict[str, pd.DataFrame]] = {"supply": {}, "demand": {}, "finance": {}}
        if supply is not None:
            frames["supply"] = load_frames(session, supply.id, SUPPLY_FRAMES)
            for kind, find, names in (
                ("demand", _demand_of, DEMAND_FRAMES),
                ("finance", _finance_of, FINANCE_FRAMES),
            ):
                found = find(session, supply)
                if found is not None:
                    frames[kind] = load_frames(session, found, names)
        snapshots.append(
            CycleSnapshot(
                cycle.month,
                cycle.opened_at,
                _released_at(session, cycle),
                frames["supply"],
                frames["demand"],
                frames["finance"],
            )
        )
    return snapshots
