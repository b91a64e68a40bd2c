"""A stored financial plan as a controller reads it on one screen: the three-year view for
the company, and the budget variance per month.

Frames in, frames out, over the frames a finance run stores (`oneplan.engines.pipeline.finance`).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

LONG_RANGE_SUMS = ["shipped_quantity", "revenue", "cogs", "gross_margin"]
VARIANCE_SUMS = [
    "budget_volume",
    "plan_volume",
    "budget_revenue",
    "plan_revenue",
    "revenue_variance",
    "budget_margin",
    "plan_margin",
    "margin_variance",
]


def _with_margin_share(frame: pd.DataFrame) -> pd.DataFrame:
    revenue = frame["revenue"].to_numpy(float)
    with np.errstate(divide="ignore", invalid="ignore"):
        share = np.where(revenue != 0, frame["gross_margin"].to_numpy(float) / revenue, np.nan)
    return frame.assign(margin_pct=share)


def three_year_view(long_range: pd.DataFrame) -> pd.DataFrame:
    """The company's quarters and years of the long-range view: ``period, grain`` (quarter or
    year), the sums of `LONG_RANGE_SUMS`, ``margin_pct`` and ``basis``: ``plan`` when every
    month comes from the plan, ``trend`` when some are extended from its trend.

    >>> lr = pd.DataFrame({"family": ["A", "B", "A"], "period": pd.to_datetime(
    ...     ["2027-01-01", "2027-01-01", "2027-04-01"]), "shipped_quantity": [1.0, 1.0, 2.0],
    ...     "revenue": [10.0, 30.0, 20.0], "cogs": [5.0, 15.0, 10.0],
    ...     "gross_margin": [5.0, 15.0, 10.0], "basis": ["plan", "plan", "trend"]})
    >>> view = three_year_view(lr)
    >>> view[["grain", "revenue", "basis"]].values.tolist()
    [['quarter', 40.0, 'plan'], ['quarter', 20.0, 'trend'], ['year', 60.0, 'trend']]
    """
    if long_range.empty:
        return pd.DataFrame(columns=["period", "grain", *LONG_RANGE_SUMS, "margin_pct", "basis"])
    rows = long_range.assign(trend=long_range["basis"].eq("trend"))
    sums = {**dict.fromkeys(LONG_RANGE_SUMS, "sum"), "trend": "any"}
    quarters = rows.groupby("period", as_index=False).agg(sums).assign(grain="quarter")
    years = quarters.assign(period=quarters["period"].dt.to_period("Y").dt.start_time)
    years = years.groupby("period", as_index=False).agg(sums).assign(grain="year")
    both = pd.concat([quarters, years], ignore_index=True)
    both["basis"] = np.where(both["trend"], "trend", "plan")
    both = _with_margin_share(both.astype(dict.fromkeys(LONG_RANGE_SUMS, float)))
    return both[["period", "grain", *LONG_RANGE_SUMS, "margin_pct", "basis"]]


def variance_by_month(variance: pd.DataFrame) -> pd.DataFrame:
    """The budget variance of the company per month: the sums of `VARIANCE_SUMS` over the
    families (a variance is plan less budget).

    >>> bv = pd.DataFrame({"family": ["A", "B"], "period": ["2027-01", "2027-01"],
    ...     **{c: [1.0, 2.0] for c in VARIANCE_SUMS}})
    >>> variance_by_month(bv)["revenue_variance"].tolist()
    [3.0]
    """
    present = [c for c in VARIANCE_SUMS if c in variance]
    if variance.empty:
        return pd.DataFrame(columns=["period", *present])
    return variance.groupby("period", as_index=False, sort=True)[present].sum()
