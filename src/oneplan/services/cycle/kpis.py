"""KPIs cycle over cycle: each closed cycle's released plan against the actuals since.

For every closed cycle the plan kept as its snapshot (`Cycle.snapshot_version_id`, or the plan
its release step released while the next month is not open yet) is read with the demand plan
it served (the supply run's ``demand_version``) and the financial plan that valued it (the
newest finance run of that supply plan); the actuals are the sales history and production
actuals as imported now. What each KPI means: `oneplan.engines.kpi.trend` and docs/cycle.md.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.orm import Session

from oneplan.choices import CycleStep
from oneplan.db.cycles import Cycle, CycleStepRow
from oneplan.db.plans import PlanVersion
from oneplan.engines.frames import parameters
from oneplan.engines.pipeline.trend import (
    DEMAND_FRAMES,
    FINANCE_FRAMES,
    SUPPLY_FRAMES,
    CycleSnapshot,
    cycle_trend,
)
from oneplan.services.actor import Actor
from oneplan.services.cycle.calendar import parse_month
from oneplan.services.cycle.schemas import CycleKpi, CycleKpis
from oneplan.services.data.service import read_tables
from oneplan.services.permissions import Permission, require
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
        wanted = [f"{parse_month(m):%Y-%m}" for m in months]
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


def cycle_kpis(session: Session, actor: Actor, months: Sequence[str] | None = None) -> CycleKpis:
    """The KPIs of every closed cycle (or only of ``months``, ``YYYY-MM``), oldest first,
    measured against the actuals imported so far. Reading them needs the ``read`` permission
    over the whole company: they are the company's figures."""
    require(actor, Permission.read)
    snapshots = load_snapshots(session, months)
    tables = read_tables(session, ACTUAL_TABLES)
    sales = tables["sales_history"]
    through = f"{pd.Timestamp(sales['period'].max()):%Y-%m}" if len(sales) else None
    currency = parameters(tables.get("parameters")).get("currency") or ""
    if not snapshots:
        return CycleKpis(cycles=[], currency=currency, sales_through=through, kpis=[])
    trend = cycle_trend(snapshots, tables)
    kpis = [
        CycleKpi(
            cycle=row["cycle"],
            kpi=row["kpi"],
            layer=row["layer"],
            lag=None if pd.isna(row["lag"]) else int(row["lag"]),
            value=float(row["value"]) if math.isfinite(row["value"]) else None,
            unit=currency if row["unit"] == "currency" else row["unit"],
            basis=row["basis"],
            note=row["note"],
        )
        for row in trend.to_dict("records")
    ]
    return CycleKpis(
        cycles=[s.month for s in snapshots], currency=currency, sales_through=through, kpis=kpis
    )
