"""Service, capacity and cost figures of a supply plan."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from oneplan.engines.frames import finite_or_none
from oneplan.engines.kpi.money import finance_summary, revenue_at_price

#: Cost terms that price a broken rule, not money anybody pays.
PENALTY_TERMS = ("safety_stock_shortfall", "relaxation_penalty")


def on_time_share(plan: pd.DataFrame) -> float:
    """Share of demand served in its own month (first in, first out).

    Of a month's demand, the part still owed at month end (at most the backlog) and the lost
    sales are late.

    >>> on_time_share(pd.DataFrame({"demand": [10.0, 10.0],
    ...     "backlog": [4.0, 0.0], "lost_sales": [0.0, 1.0]}))
    0.75
    """
    served = (plan["demand"] - plan["lost_sales"]).clip(lower=0)
    late = plan["lost_sales"] + np.minimum(plan["backlog"], served)
    total = float(plan["demand"].sum())
    return 1.0 if total <= 0 else float(1.0 - late.sum() / total)


def total_cost(cost_breakdown: pd.DataFrame) -> float:
    """Every cost term of a plan's ``cost_breakdown`` [term, value]: all but revenue.

    >>> total_cost(pd.DataFrame({"term": ["revenue", "production"], "value": [9.0, 4.0]}))
    4.0
    """
    return float(cost_breakdown.loc[cost_breakdown["term"] != "revenue", "value"].sum())


AT_LIMIT = 1.0 - 1e-6
"""Utilisation from which a resource-month counts as at its limit."""


def top_bottleneck(utilisation: pd.DataFrame) -> dict[str, Any] | None:
    """The resource-month where one more hour (or supplier unit) is worth the most money.

    ``utilisation`` is the supply plan's ``capacity_plan`` frame. Only a month at its limit
    counts: a positive price on a month with nothing to use (a shutdown) is no hour anybody
    can buy. Prices set by the relaxation penalty (column ``degenerate``) are not the value of
    an hour, so they never make a resource the top bottleneck. When no month at its limit has
    a real price, the busiest resource-month is named (its price left out when the penalty
    set it: a limit that had to give shows in the relaxations); None when nothing is used.

    >>> frame = pd.DataFrame({"resource": ["P", "P"], "kind": "machine",
    ...     "period": pd.to_datetime(["2027-01-01", "2027-02-01"]),
    ...     "utilisation": [1.0, 0.14], "shadow_price": [25_000.0, 0.0]})
    >>> top_bottleneck(frame)["period"]
    '2027-01'
    """
    util = utilisation
    if not len(util):
        return None
    prices = pd.to_numeric(util["shadow_price"], errors="coerce").fillna(0.0).to_numpy(float)
    busy = pd.to_numeric(util["utilisation"], errors="coerce").fillna(0.0).to_numpy(float)
    busy = np.where(np.isfinite(busy), busy, 0.0)
    real = np.ones(len(util), bool)
    if "degenerate" in util:
        real = ~util["degenerate"].fillna(False).to_numpy(bool)
    priced = np.where(real & (busy >= AT_LIMIT), prices, 0.0)
    if priced.max() > 0:
        at = int(np.argmax(priced))
    elif busy.max() > 0:
        at = int(np.argmax(busy))
    else:
        return None
    return {
        "resource": str(util["resource"].iloc[at]),
        "kind": str(util["kind"].iloc[at]),
        "period": pd.Timestamp(util["period"].iloc[at]).strftime("%Y-%m"),
        "utilisation": finite_or_none(busy[at]),
        "shadow_price": finite_or_none(prices[at]) if real[at] else None,
    }


def utilisation_by_resource(capacity: pd.DataFrame) -> pd.Series:
    """Hours used over regular hours across the horizon, per resource (NaN without hours).

    >>> capacity = pd.DataFrame({"resource": ["P", "P"], "used": [5.0, 10.0],
    ...     "capacity": [10.0, 10.0]})
    >>> utilisation_by_resource(capacity).to_dict()
    {'P': 0.75}
    """
    # a month at zero hours stays finite: the ratio is taken over the whole horizon
    hours = capacity.groupby("resource")[["used", "capacity"]].sum()
    busy: pd.Series = hours["used"] / hours["capacity"].where(hours["capacity"] > 0)
    return busy


def plan_kpis(
    frames: dict[str, pd.DataFrame], summary: dict[str, Any], prices: pd.DataFrame
) -> dict[str, Any]:
    """Headline figures of one stored plan, recomputed from its frames.

    With a ``lines`` frame (the plan valued by the finance engine): revenue, gross margin and
    margin %; without one: revenue at price only.
    """
    plan = frames["supply_plan"]
    neck = summary.get("top_bottleneck") or {}
    kpis: dict[str, Any] = {"total cost": total_cost(frames["cost_breakdown"])}
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
        busy = utilisation_by_resource(capacity)
        kpis.update({f"utilisation {r}": None if pd.isna(u) else float(u) for r, u in busy.items()})
    return kpis
