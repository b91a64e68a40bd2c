"""Money figures of a plan: revenue at the price in force, and the valued plan's headline."""

from __future__ import annotations

import pandas as pd

from oneplan.engines.frames import month_starts, numeric, value_in_force


def revenue_at_price(plan: pd.DataFrame, prices: pd.DataFrame) -> float:
    """Served units (demand less lost sales) times the price in force (channel ``all``), net
    of the price row's ``rebate`` (a share of the price) where prices carry one.

    Months before an item's first price take that first price, as the supply engine reads it.

    >>> plan = pd.DataFrame({"item": ["A", "A"], "location": "L", "demand": [10.0, 10.0],
    ...     "lost_sales": [0.0, 4.0], "period": pd.to_datetime(["2027-01-01", "2027-02-01"])})
    >>> prices = pd.DataFrame({"item": ["A", "A"], "channel": "all", "price": [2.0, 3.0],
    ...     "valid_from": pd.to_datetime(["2027-01-01", "2027-02-01"])})
    >>> revenue_at_price(plan, prices)
    38.0
    >>> revenue_at_price(plan, prices.assign(rebate=[0.5, 0.0]))
    28.0
    """
    if not len(plan) or not len(prices):
        return 0.0
    if "channel" in prices:
        prices = prices[prices["channel"].astype(str) == "all"]
    rows = plan.assign(
        item=plan["item"].astype(str), period=month_starts(plan["period"], table="supply_plan")
    )
    listed = prices.assign(item=prices["item"].astype(str))
    listed["rebate"] = numeric(listed, "rebate", "prices", default=0.0)
    terms = value_in_force(
        rows, listed, ["item"], ["price", "rebate"], before_first="first", table="prices"
    )
    net = terms["price"].fillna(0.0) * (1.0 - terms["rebate"].fillna(0.0))
    served = plan["demand"] - plan["lost_sales"]
    return float((served * net).sum())


def finance_summary(finance: dict[str, pd.DataFrame]) -> dict[str, float | None]:
    """Revenue, cost of goods, gross margin and margin % of a valued plan (no ``lines``: {}).

    >>> lines = pd.DataFrame({"revenue": [80.0, 20.0], "cogs": [50.0, 10.0],
    ...     "gross_margin": [30.0, 10.0]})
    >>> finance_summary({"lines": lines})["margin_pct"]
    0.4
    """
    lines = finance.get("lines")
    if lines is None:
        return {}
    revenue = float(lines["revenue"].sum())
    margin = float(lines["gross_margin"].sum())
    return {
        "revenue": revenue,
        "cogs": float(lines["cogs"].sum()),
        "gross_margin": margin,
        "margin_pct": margin / revenue if revenue else None,
    }
