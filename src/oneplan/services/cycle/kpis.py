"""KPIs cycle over cycle: each closed cycle's released plan against the actuals since.

For every closed cycle the plans it kept are read (`oneplan.services.versions.snapshots`); the
actuals are the sales history and production actuals as imported now. What each KPI means:
`oneplan.engines.kpi.trend` and docs/cycle.md.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import pandas as pd
from sqlalchemy.orm import Session

from oneplan.engines.frames import parameters
from oneplan.engines.pipeline.trend import cycle_trend
from oneplan.services.actor import Actor
from oneplan.services.cycle.schemas import CycleKpi, CycleKpis
from oneplan.services.data.service import read_tables
from oneplan.services.permissions import Permission, require
from oneplan.services.versions.snapshots import ACTUAL_TABLES, load_snapshots


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
