"""What the executive meeting looks at first: the headline figures against the budget and the
demand against the constrained supply, month by month, from the same plan versions the
executive pack reads (the newest financial plan and the demand and supply plans it valued).

A read for everyone who may read the plan: the pack itself is written by those who may write
reports (`oneplan.services.report.service`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from sqlalchemy.orm import Session

from oneplan.reports import views
from oneplan.reports.pack import NEEDS, budget_kpis, demand_supply_by_month
from oneplan.services.actor import Actor
from oneplan.services.permissions import Permission, require
from oneplan.services.report.service import _version
from oneplan.services.versions.store import load_frames

#: The headline figures, in the order an executive reads them.
HEADLINE = ("revenue", "gross margin", "margin %", "on time")


@dataclass(frozen=True)
class ExecutiveView:
    """kpis: ``measure, plan, budget, variance, variance_pct, unit`` (budget NaN where the
    budget says nothing); monthly: ``period, consensus, production, shipped``; versions: the
    demand, supply and finance versions read, by kind."""

    cycle: str
    currency: str
    kpis: pd.DataFrame
    monthly: pd.DataFrame
    versions: dict[str, int]


def _inventory_rows(
    supply_plan: pd.DataFrame, working_capital: pd.DataFrame, money: str
) -> pd.DataFrame:
    service = views.inventory_service(supply_plan, working_capital)
    last = service.iloc[-1] if len(service) else None
    value = np.nan
    if len(working_capital) and "inventory_value" in working_capital:
        value = float(working_capital.sort_values("period")["inventory_value"].iloc[-1])
    rows = [
        ("inventory at end", np.nan if last is None else float(last["inventory_units"]), "units"),
        ("inventory value at end", value, money),
    ]
    return pd.DataFrame(rows, columns=["measure", "plan", "unit"])


def executive_view(session: Session, actor: Actor) -> ExecutiveView:
    """The headline figures and the monthly demand and supply of the newest financial plan;
    NotFound, naming the step to run, when a demand, supply or financial plan is missing."""
    require(actor, Permission.read)
    for kind in ("demand", "supply", "finance"):
        _version(session, kind)  # a clear message for the first missing step
    finance = _version(session, "finance")
    summary = dict(finance.summary or {})
    chosen = {
        "demand": _version(session, "demand", summary.get("demand_version")),
        "supply": _version(session, "supply", summary.get("supply_version")),
        "finance": finance,
    }
    frames = {kind: load_frames(session, v.id, list(NEEDS[kind])) for kind, v in chosen.items()}
    currency = str(summary.get("currency") or "")
    supply_plan = frames["supply"]["supply_plan"]
    kpis = budget_kpis(frames["finance"], supply_plan, currency)
    kpis = kpis[kpis["measure"].isin(HEADLINE)]
    inventory = _inventory_rows(supply_plan, frames["finance"]["working_capital"], currency)
    kpis = pd.concat([kpis, inventory], ignore_index=True).reindex(columns=kpis.columns)
    monthly = demand_supply_by_month(
        frames["demand"]["consensus"], supply_plan, frames["finance"]["lines"]
    )
    versions = {kind: v.id for kind, v in chosen.items()}
    return ExecutiveView(finance.cycle, currency, kpis, monthly, versions)
