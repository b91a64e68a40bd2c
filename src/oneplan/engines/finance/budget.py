"""Plan against budget: revenue and margin variance split into volume, mix, price and cost.

Budgets are set per family and month, so mix is the family mix within the month's total.
For family f in month t, with v volume, r revenue, m margin, p = r / v the average price,
u = m / v the unit margin, s = v / V the share of the month's total volume V, and B / A for
budget / plan (actual):

- volume effect  = (A_V - B_V) x B_s[f] x B_p[f]      (sums to (A_V - B_V) x budget avg price)
- mix effect     = (A_s[f] - B_s[f]) x A_V x B_p[f]
- price effect   = (A_p[f] - B_p[f]) x A_v[f]
- volume + mix + price = A_r[f] - B_r[f]

For margin the same with unit margin u in place of p for volume and mix; the price effect is
the revenue price effect (a higher price is margin one for one) and the cost effect is
-(A_c[f] - B_c[f]) x A_v[f] with c = p - u the unit cost. The last effect (price for revenue,
cost for margin) is computed as the remainder, which equals its formula where the formula is
defined and keeps the identity exact where it is not (a family with no budget volume).
"""

from __future__ import annotations

from typing import Literal

import numpy as np
import pandas as pd

from oneplan.engines.frames import month_starts, numeric, require_columns

REVENUE_STEPS = ["budget", "volume", "mix", "price", "plan"]
MARGIN_STEPS = ["budget", "volume", "mix", "price", "cost", "plan"]


def _plan_by_family(plan: pd.DataFrame) -> pd.DataFrame:
    frame = plan.rename(columns={"shipped_quantity": "volume", "gross_margin": "margin"})
    require_columns(frame, ["family", "period", "volume", "revenue", "margin"], "plan")
    frame = frame.assign(period=month_starts(frame["period"], table="plan").to_numpy())
    return frame.groupby(["family", "period"], as_index=False)[
        ["volume", "revenue", "margin"]
    ].sum()


def _ratio(numerator: pd.Series, denominator: pd.Series, fallback: pd.Series) -> pd.Series:
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = numerator / denominator.where(denominator != 0)
    return ratio.fillna(fallback).fillna(0.0)


def budget_variance(plan: pd.DataFrame, budgets: pd.DataFrame) -> pd.DataFrame:
    """Variance of the plan against the budget per family and period, by effect.

    plan: ``family, period, shipped_quantity|volume, revenue, gross_margin|margin`` at any
    detail (summed to family x period), e.g. `FinancialPlan.lines`. budgets: ``family, period,
    volume, revenue, margin``. Only the budget's periods are compared; a family on one side
    only counts as 0 on the other.

    Returns ``family, period, budget_volume, plan_volume, budget_revenue, plan_revenue,
    budget_margin, plan_margin, revenue_variance, volume_effect, mix_effect, price_effect,
    margin_variance, margin_volume_effect, margin_mix_effect, margin_price_effect, cost_effect``.

    >>> budgets = pd.DataFrame({"family": ["F", "G"], "period": ["2027-01"] * 2,
    ...     "volume": [100.0, 100.0], "revenue": [1000.0, 2000.0], "margin": [300.0, 800.0]})
    >>> plan = budgets.assign(volume=[150.0, 50.0], revenue=[1500.0, 1000.0],
    ...                       margin=[450.0, 400.0])
    >>> v = budget_variance(plan, budgets)
    >>> v[["volume_effect", "mix_effect", "price_effect"]].sum().tolist()
    [0.0, -500.0, 0.0]
    """
    require_columns(budgets, ["family", "period", "volume", "revenue", "margin"], "budgets")
    budget = budgets[["family"]].astype(str)
    budget["period"] = month_starts(budgets["period"], table="budgets").to_numpy()
    for column in ("volume", "revenue", "margin"):
        budget[column] = numeric(budgets, column, "budgets", default=0.0).to_numpy()
    budget = budget.groupby(["family", "period"], as_index=False).sum()
    actual = _plan_by_family(plan).assign(family=lambda f: f["family"].astype(str))
    actual = actual[actual["period"].isin(budget["period"])]
    both = budget.merge(actual, on=["family", "period"], how="outer", suffixes=("_b", "_a"))
    both = both.fillna(0.0).sort_values(["period", "family"]).reset_index(drop=True)

    bv, av = both["volume_b"], both["volume_a"]
    total_b = both.groupby("period")["volume_b"].transform("sum")
    total_a = both.groupby("period")["volume_a"].transform("sum")
    share_b = _ratio(bv, total_b, pd.Series(0.0, index=both.index))
    share_a = _ratio(av, total_a, pd.Series(0.0, index=both.index))
    # A family without a price on one side is valued at the other side's price.
    price_a = _ratio(both["revenue_a"], av, pd.Series(np.nan, index=both.index))
    price_b = _ratio(both["revenue_b"], bv, price_a)
    unit_margin_a = _ratio(both["margin_a"], av, pd.Series(np.nan, index=both.index))
    unit_margin_b = _ratio(both["margin_b"], bv, unit_margin_a)
    price_a = price_a.where(av != 0, price_b)

    out = pd.DataFrame({"family": both["family"], "period": both["period"]})
    for name, column in (("volume", "volume"), ("revenue", "revenue"), ("margin", "margin")):
        out[f"budget_{name}"] = both[f"{column}_b"]
        out[f"plan_{name}"] = both[f"{column}_a"]
    out["revenue_variance"] = out["plan_revenue"] - out["budget_revenue"]
    out["volume_effect"] = (total_a - total_b) * share_b * price_b
    out["mix_effect"] = (share_a - share_b) * total_a * price_b
    out["price_effect"] = out["revenue_variance"] - out["volume_effect"] - out["mix_effect"]
    out["margin_variance"] = out["plan_margin"] - out["budget_margin"]
    out["margin_volume_effect"] = (total_a - total_b) * share_b * unit_margin_b
    out["margin_mix_effect"] = (share_a - share_b) * total_a * unit_margin_b
    out["margin_price_effect"] = (price_a - price_b) * av
    out["cost_effect"] = (
        out["margin_variance"]
        - out["margin_volume_effect"]
        - out["margin_mix_effect"]
        - out["margin_price_effect"]
    )
    return out


def bridge(
    variance: pd.DataFrame,
    measure: Literal["revenue", "margin"] = "revenue",
    *,
    families: list[str] | None = None,
    periods: object | None = None,
) -> pd.DataFrame:
    """The ordered waterfall from budget to plan, summed over the chosen families and periods.

    Returns ``step, value, cumulative``: steps budget, volume, mix, price (and cost for
    margin), plan. The effects add up from the budget to the plan; ``cumulative`` is the
    running total, so the last effect's ``cumulative`` equals the plan.

    >>> budgets = pd.DataFrame({"family": ["F"], "period": ["2027-01"], "volume": [100.0],
    ...                         "revenue": [1000.0], "margin": [300.0]})
    >>> plan = budgets.assign(volume=[120.0], revenue=[1320.0], margin=[400.0])
    >>> bridge(budget_variance(plan, budgets))["value"].tolist()
    [1000.0, 200.0, 0.0, 120.0, 1320.0]
    """
    rows = variance
    if families is not None:
        rows = rows[rows["family"].isin(families)]
    if periods is not None:
        rows = rows[rows["period"].isin(month_starts(periods, table="arguments", column="periods"))]
    prefix = "margin_" if measure == "margin" else ""
    budget = float(rows[f"budget_{measure}"].sum())
    plan = float(rows[f"plan_{measure}"].sum())
    effects = {
        "volume": float(rows[f"{prefix}volume_effect"].sum()),
        "mix": float(rows[f"{prefix}mix_effect"].sum()),
    }
    if measure == "margin":
        effects["price"] = float(rows["margin_price_effect"].sum())
    # The last effect closes on the summed totals, so the steps add up to the plan exactly.
    last = "cost" if measure == "margin" else "price"
    effects[last] = plan - budget - sum(effects.values())
    steps = [*REVENUE_STEPS[:1], *effects.keys(), "plan"]
    values = [budget, *effects.values(), plan]
    running = np.cumsum([budget, *effects.values()]).tolist()
    return pd.DataFrame({"step": steps, "value": values, "cumulative": [*running, plan]})
