"""The master production schedule input from a supply plan: months, and ISO weeks.

The MPS is what the approved supply plan asks each plant to make: per item, location and
month (or ISO week), in-house production (regular time and overtime together; the plan
decides overtime per resource, not per item) and subcontracted units.

Weekly split rule: a month's quantity is spread over the ISO weeks (Monday to Sunday) that
touch the month, in proportion to the working days (Monday to Friday) of each week that fall
inside the month. A week that straddles two months gets one row per month, so every row
belongs to one month and the weeks of a month add up to the month.

Rounding rule (``lot_size``; without one, quantities keep the plan's decimals and the weeks add
up to the month to floating-point rounding, far below 1e-6 units). A plant makes whole units,
in lots: production and subcontracting are each rounded to whole lots of ``lot_size`` units (1:
whole units):

- months, per item and location, on the running total: each month gets the lots that bring the
  rounded total to date (half up) to the plan's, so the horizon's total is the plan's to within
  half a lot and each month is within one lot of the plan (a remainder carries to the next
  month; a month left with nothing is left out);
- a month with something to make but less than ``minimum`` units is raised to the minimum (in
  whole lots);
- weeks: the month's lots are shared out in proportion to the working days by largest
  remainder (each week gets the whole lots of its share, the lots left over go to the weeks with
  the largest remainders, the earlier week first on a tie), so the weeks of a month add up to
  the month exactly, in whole lots. A week with no lot is left out.
"""

from __future__ import annotations

import math

import numpy as np
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


def rounded_months(monthly: pd.DataFrame, lot_size: int = 1, minimum: int = 0) -> pd.DataFrame:
    """The monthly schedule in whole lots: the running total per item and location rounded
    half up, then the minimum (see the module's rule). Months left at zero are left out.

    >>> months = pd.DataFrame({"item": "A", "location": "P",
    ...     "period": pd.date_range("2027-01-01", periods=3, freq="MS"),
    ...     "production": [0.65, 0.65, 0.65], "subcontract": 0.0})
    >>> rounded_months(months)["production"].tolist()
    [1.0, 1.0]
    """
    _check_lots(lot_size, minimum)
    frame = monthly.sort_values(["item", "location", "period"], ignore_index=True)
    first = frame.groupby(["item", "location"], sort=False).cumcount().to_numpy() == 0
    smallest = math.ceil(minimum / lot_size) * lot_size
    for column in ("production", "subcontract"):
        lots = frame[column].to_numpy(dtype="float64") / lot_size
        running = pd.Series(lots).groupby([frame["item"], frame["location"]]).cumsum()
        rounded = np.floor(running.to_numpy() + 0.5)
        before = np.where(first, 0.0, np.concatenate([[0.0], rounded[:-1]]))
        quantity = (rounded - before) * lot_size
        frame[column] = np.where((quantity > 0) & (quantity < smallest), smallest, quantity)
    frame["quantity"] = frame["production"] + frame["subcontract"]
    return frame.loc[frame["quantity"] > 0, MONTH_COLUMNS].reset_index(drop=True)


def _check_lots(lot_size: int, minimum: int) -> None:
    for name, value, least in (("lot_size", lot_size, 1), ("minimum", minimum, 0)):
        if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < least:
            raise InputError(
                f"must be a whole number of units, {least} or more, not {value!r}",
                table="arguments",
                column=name,
            )


def _largest_remainder(lots: np.ndarray, share: np.ndarray, month_row: np.ndarray) -> np.ndarray:
    """Whole lots per week: the floor of each week's share of its month's lots, plus one for
    the weeks with the largest remainders until the month's lots are all given out (rows are
    in week order within each month, so a tie goes to the earlier week)."""
    exact = lots * share
    given = np.floor(exact + 1e-9)
    left = lots - pd.Series(given).groupby(month_row).transform("sum").to_numpy()
    remainder = pd.Series(exact - given)
    order = remainder.groupby(month_row).rank(method="first", ascending=False).to_numpy()
    extra: np.ndarray = given + (order <= np.round(left))
    return extra


def weekly_schedule(monthly: pd.DataFrame, lot_size: int | None = None) -> pd.DataFrame:
    """The monthly schedule split into ISO weeks by working days (see the module's rule); with
    ``lot_size``, a monthly schedule already in whole lots is shared out in whole lots."""
    shares = week_shares(monthly["period"])
    numbered = monthly.reset_index(drop=True)
    weekly = numbered.assign(month_row=np.arange(len(numbered))).merge(
        shares, on="period", how="inner"
    )
    weekly = weekly.sort_values(["month_row", "week"], ignore_index=True)
    if lot_size is None:
        for column in ("quantity", "production", "subcontract"):
            weekly[column] = weekly[column] * weekly["share"]
    else:
        row, share = weekly["month_row"].to_numpy(), weekly["share"].to_numpy(dtype="float64")
        for column in ("production", "subcontract"):
            lots = np.round(weekly[column].to_numpy(dtype="float64") / lot_size)
            weekly[column] = _largest_remainder(lots, share, row) * lot_size
        weekly["quantity"] = weekly["production"] + weekly["subcontract"]
        weekly = weekly[weekly["quantity"] > 0]
    iso = weekly["week"].dt.isocalendar()
    weekly["iso_week"] = iso["year"].astype(str) + "-W" + iso["week"].astype(str).str.zfill(2)
    weekly["working_days"] = weekly["working_days"].astype("int64")
    order = ["item", "location", "period", "week"]
    return weekly[WEEK_COLUMNS].sort_values(order, ignore_index=True)


def schedule_frames(
    supply_plan: pd.DataFrame,
    grain: str = "both",
    *,
    lot_size: int | None = None,
    minimum: int = 0,
) -> dict[str, pd.DataFrame]:
    """``mps_month`` and/or ``mps_week`` frames from a supply plan frame; with ``lot_size``
    (units, 1 or more) in whole lots of it and each month at least ``minimum`` units (the
    module's rounding rule); without, as the plan has them."""
    if grain not in GRAINS:
        raise InputError(f"expected one of {', '.join(GRAINS)}, not {grain!r}", table="grain")
    monthly = monthly_schedule(supply_plan)
    if lot_size is not None:
        monthly = rounded_months(monthly, lot_size, minimum)
    frames = {}
    if grain in ("month", "both"):
        frames["mps_month"] = monthly
    if grain in ("week", "both"):
        frames["mps_week"] = weekly_schedule(monthly, lot_size)
    return frames
