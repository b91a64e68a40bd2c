"""Compare scenarios: headline figures side by side with the base plan, and what changed.

Revenue and margin come from the finance frames a scenario run stores (``lines``); the base
plan is valued the same way when it is compared. Runs stored before scenarios carried finance
fall back to ``revenue at price`` (served units times the price in force).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import pandas as pd
import sqlalchemy as sa

from oneplan.datapack import package_schema
from oneplan.db.session import unit_of_work
from oneplan.errors import NotFound
from oneplan.services.exports import read_tables
from oneplan.services.plan_versions import FrameDiff, diff_frames
from oneplan.services.plans import get_version, load_frames
from oneplan.services.reconcile import FINANCE_TABLES, reconcile_frames
from oneplan.services.scenarios import KEYS, finance_summary, get_scenario, scenario_runs
from oneplan.services.supply import on_time_share


def revenue_at_price(plan: pd.DataFrame, prices: pd.DataFrame) -> float:
    """Served units (demand less lost sales) times the price in force (channel ``all``).

    Months before an item's first price take that first price, as the supply engine reads it.

    >>> plan = pd.DataFrame({"item": ["A", "A"], "location": "L", "demand": [10.0, 10.0],
    ...     "lost_sales": [0.0, 4.0], "period": pd.to_datetime(["2027-01-01", "2027-02-01"])})
    >>> prices = pd.DataFrame({"item": ["A", "A"], "channel": "all", "price": [2.0, 3.0],
    ...     "valid_from": pd.to_datetime(["2027-01-01", "2027-02-01"])})
    >>> revenue_at_price(plan, prices)
    38.0
    """
    if not len(plan) or not len(prices):
        return 0.0
    if "channel" in prices:
        prices = prices[prices["channel"].astype(str) == "all"]
    right = prices[["item", "valid_from", "price"]].astype({"item": str})
    right = right.assign(valid_from=pd.to_datetime(right["valid_from"]).astype("datetime64[ns]"))
    right = right.sort_values("valid_from")
    left = plan.assign(
        item=plan["item"].astype(str),
        period=pd.to_datetime(plan["period"]).astype("datetime64[ns]"),
        served=plan["demand"] - plan["lost_sales"],
    ).sort_values("period")
    back = pd.merge_asof(left, right, left_on="period", right_on="valid_from", by="item")
    fwd = pd.merge_asof(
        left, right, left_on="period", right_on="valid_from", by="item", direction="forward"
    )
    price = back["price"].fillna(fwd["price"]).fillna(0.0)
    return float((back["served"] * price).sum())


@dataclass(frozen=True)
class Comparison:
    """KPIs side by side (one row per KPI, a column for the base and each scenario) and, per
    scenario, the record-level diff of its supply plan against the base supply plan."""

    kpis: pd.DataFrame
    diffs: dict[str, FrameDiff]
    versions: dict[str, int]


def plan_kpis(
    frames: dict[str, pd.DataFrame], summary: dict[str, Any], prices: pd.DataFrame
) -> dict[str, Any]:
    """Headline figures of one stored plan, recomputed from its frames.

    With a ``lines`` frame (the plan valued by the finance engine): revenue, gross margin and
    margin %; without one: revenue at price only.
    """
    plan = frames["supply_plan"]
    costs = frames["cost_breakdown"]
    neck = summary.get("top_bottleneck") or {}
    kpis: dict[str, Any] = {
        "total cost": float(costs.loc[costs["term"] != "revenue", "value"].sum())
    }
    money = finance_summary(frames)
    if money:
        kpis.update(
            {
                "revenue": money["revenue"],
                "gross margin": money["gross_margin"],
                "margin %": money["margin_pct"],
            }
        )
    else:
        kpis["revenue at price"] = revenue_at_price(plan, prices)
    kpis.update(
        {
            "service level on time": on_time_share(plan) if len(plan) else None,
            "unmet units": float(plan["backlog"].sum() + plan["lost_sales"].sum()),
            "top bottleneck": f"{neck['resource']} {neck['period']}" if neck else "",
        }
    )
    capacity = frames["capacity_plan"]
    if len(capacity):
        # hours used over regular hours in the horizon: a month at zero hours stays finite
        hours = capacity.groupby("resource")[["used", "capacity"]].sum()
        busy = hours["used"] / hours["capacity"].where(hours["capacity"] > 0)
        kpis.update({f"utilisation {r}": None if pd.isna(u) else float(u) for r, u in busy.items()})
    return kpis


def compare_scenarios(engine: sa.Engine, names: Iterable[str]) -> Comparison:
    """The newest base supply version against each scenario's newest run.

    The base is valued by the finance engine on the fly (from the demand plan it served) when
    its demand plan is stored, so its revenue and margin read like the scenarios'.
    """
    wanted = ["supply_plan", "cost_breakdown", "capacity_plan"]
    columns: dict[str, dict[str, Any]] = {}
    diffs: dict[str, FrameDiff] = {}
    with unit_of_work(engine, write=False) as session:
        base = get_version(session, kind="supply")
        base_frames = load_frames(session, base.id, [*wanted, "workforce_plan"])
        tables = read_tables(session.connection(), package_schema(), FINANCE_TABLES)
        demand_id = (base.summary or {}).get("demand_version")
        if demand_id is not None and len(base_frames["supply_plan"]):
            consensus = load_frames(session, int(demand_id), ["consensus"]).get("consensus")
            if consensus is not None:
                valued = reconcile_frames(tables, consensus, base_frames)
                base_frames["lines"] = valued["lines"]
        columns["base"] = plan_kpis(base_frames, base.summary, tables["prices"])
        versions = {"base": base.id}
        for name in names:
            runs = scenario_runs(session, get_scenario(session, name))
            if not runs:
                raise NotFound(f"scenario '{name}' has not been run yet: run it first")
            frames = load_frames(session, runs[0].id, [*wanted, "prices", "lines"])
            columns[name] = plan_kpis(frames, runs[0].summary, frames["prices"])
            versions[name] = runs[0].id
            diffs[name] = diff_frames(
                base_frames["supply_plan"], frames["supply_plan"], KEYS, "supply_plan"
            )
    kpis = pd.DataFrame(columns)
    kpis.index.name = "kpi"
    return Comparison(kpis, diffs, versions)
