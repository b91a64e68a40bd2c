"""The master production schedule input from a supply plan: months, and ISO weeks.

The MPS is what the approved supply plan asks each plant to make: per item, location and
month (or ISO week), in-house production (regular time and overtime together; the plan
decides overtime per resource, not per item) and subcontracted units.

Weekly split rule: a month's quantity is spread over the ISO weeks (Monday to Sunday) that
touch the month, in proportion to the working days (Monday to Friday) of each week that fall
inside the month. A week that straddles two months gets one row per month, so every row
belongs to one month and the weeks of a month add up to the month. Quantities keep their
decimals (the plan is continuous): the weekly rows of a month sum to the monthly quantity up
to floating-point rounding (far below 1e-6 units).
"""

from __future__ import annotations

import pandas as pd

from oneplan.errors import InputError

MONTH_COLUMNS = ["item", "location", "period", "quantity", "production", "subcontract"]
WEEK_COLUMNS = [
    "item",
    "location",
    "period",
    "week",
    "iso_week",
    "working_days",
    "quantity",
    "production",
    "subcontract",
]
GRAINS = ("month", "week", "both")


def monthly_schedule(supply_plan: pd.DataFrame) -> pd.DataFrame:
    """Production and subcontracting per item, location and month, where there is any.

    >>> plan = pd.DataFrame({"item": ["A", "A"], "location": ["P", "P"],
    ...     "period": pd.to_datetime(["2027-01-01", "2027-02-01"]),
    ...     "production": [10.0, 0.0], "subcontract": [2.0, 0.0]})
    >>> monthly_schedule(plan)["quantity"].tolist()
    [12.0]
    """
    frame = supply_plan[["item", "location", "period", "production", "subcontract"]].copy()
    frame[["production", "subcontract"]] = frame[["production", "subcontract"]].fillna(0.0)
    frame["quantity"] = frame["production"] + frame["subcontract"]
    frame["period"] = pd.to_datetime(frame["period"])
    frame = frame[frame["quantity"] > 1e-9]
    return frame[MONTH_COLUMNS].sort_values(["item", "location", "period"], ignore_index=True)


def week_shares(periods: pd.Series) -> pd.DataFrame:
    """Each month's ISO weeks with their working days inside the month and share of it.

    Columns ``period, week, working_days, share``; the shares of a month add up to one.

    >>> shares = week_shares(pd.Series(pd.to_datetime(["2027-03-01"])))
    >>> shares["working_days"].tolist(), float(shares["share"].sum())
    ([5, 5, 5, 5, 3], 1.0)
    """
    months = pd.DatetimeIndex(pd.to_datetime(periods).unique()).sort_values()
    if not len(months):
        return pd.DataFrame(columns=["period", "week", "working_days", "share"])
    days = pd.date_range(months.min(), months.max() + pd.offsets.MonthEnd(0), freq="D")
    days = days[days.weekday < 5]
    calendar = pd.DataFrame(
        {
            "period": days.to_period("M").to_timestamp(),
            "week": days - pd.to_timedelta(days.weekday, unit="D"),
        }
    )
    calendar = calendar[calendar["period"].isin(months)]
    counts = calendar.groupby(["period", "week"]).size().rename("working_days").reset_index()
    counts["share"] = counts["working_days"] / counts.groupby("period")["working_days"].transform(
        "sum"
    )
    return counts


def weekly_schedule(monthly: pd.DataFrame) -> pd.DataFrame:
    """The monthly schedule split into ISO weeks by working days (see the module's rule)."""
    shares = week_shares(monthly["period"])
    weekly = monthly.merge(shares, on="period", how="inner")
    for column in ("quantity", "production", "subcontract"):
        weekly[column] = weekly[column] * weekly["share"]
    iso = weekly["week"].dt.isocalendar()
    weekly["iso_week"] = iso["year"].astype(str) + "-W" + iso["week"].astype(str).str.zfill(2)
    weekly["working_days"] = weekly["working_days"].astype("int64")
    order = ["item", "location", "period", "week"]
    return weekly[WEEK_COLUMNS].sort_values(order, ignore_index=True)


def schedule_frames(supply_plan: pd.DataFrame, grain: str = "both") -> dict[str, pd.DataFrame]:
    """``mps_month`` and/or ``mps_week`` frames from a supply plan frame."""
    if grain not in GRAINS:
        raise InputError(f"expected one of {', '.join(GRAINS)}, not {grain!r}", table="grain")
    monthly = monthly_schedule(supply_plan)
    frames = {}
    if grain in ("month", "both"):
        frames["mps_month"] = monthly
    if grain in ("week", "both"):
        frames["mps_week"] = weekly_schedule(monthly)
    return frames
