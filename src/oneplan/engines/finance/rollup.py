"""Roll the financial plan up by month, quarter and year, and extend it by trend.

Flows (units, revenue, costs, margin, cash) add up over months. Balances (inventory, end
inventory, backlog, receivables, payables, working capital) do not: a quarter's balance is the
balance at the end of its last month. Ratios (margin %, price) are recomputed from the sums.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

import numpy as np
import pandas as pd

from oneplan.engines.frames import month_starts, require_columns
from oneplan.errors import InputError

Grain = Literal["month", "quarter", "year"]
BALANCES = {
    "end_inventory",
    "backlog",
    "inventory_value",
    "receivables",
    "payables",
    "working_capital",
    "cumulative_cash_flow",
}
# Recomputed from the sums (ratios) or meaningless once summed over months.
RATIOS = {"margin_pct", "price", "standard_cost_per_unit", "days_in_period", "backlog_before"}
FREQUENCY = {"month": "M", "quarter": "Q", "year": "Y"}


def _levels(level: str | Sequence[str]) -> list[str]:
    if isinstance(level, str):
        return [] if level == "total" else [level]
    return [c for c in level if c != "total"]


def _values(frame: pd.DataFrame, keys: list[str], values: Sequence[str] | None) -> list[str]:
    if values is not None:
        require_columns(frame, list(values), "rollup")
        return list(values)
    numbers = frame.select_dtypes("number").columns
    skip = {*keys, "period", *RATIOS}
    return [c for c in numbers if c not in skip and not c.startswith("unit_")]


def _with_ratios(frame: pd.DataFrame) -> pd.DataFrame:
    frame = frame.copy()
    if {"gross_margin", "revenue"} <= set(frame.columns):
        revenue = frame["revenue"].where(frame["revenue"] != 0)
        frame["margin_pct"] = frame["gross_margin"] / revenue
    if {"revenue", "shipped_quantity"} <= set(frame.columns):
        frame["price"] = frame["revenue"] / frame["shipped_quantity"].where(
            frame["shipped_quantity"] != 0
        )
    return frame


def rollup(
    frame: pd.DataFrame,
    *,
    level: str | Sequence[str] = "total",
    grain: Grain = "quarter",
    values: Sequence[str] | None = None,
) -> pd.DataFrame:
    """Sum monthly rows to `level` (a column, a list of columns or ``"total"``) and `grain`.

    Returns the level columns, ``period`` (first month of the bucket), ``grain``, ``months``
    (months present in the bucket), the value columns and, where possible, ``margin_pct`` and
    ``price``. Balance columns take the bucket's last month.

    >>> monthly = pd.DataFrame({"family": "F", "period": pd.date_range("2027-01-01",
    ...     periods=3, freq="MS"), "revenue": [10.0, 20.0, 30.0],
    ...     "inventory_value": [5.0, 6.0, 7.0]})
    >>> out = rollup(monthly, level="family")
    >>> out[["revenue", "inventory_value"]].values.tolist(), int(out["months"].iloc[0])
    ([[60.0, 7.0]], 3)
    """
    keys = _levels(level)
    require_columns(frame, [*keys, "period"], "rollup")
    if grain not in FREQUENCY:
        raise InputError(
            f"{grain!r} is not one of {list(FREQUENCY)}", table="arguments", column="grain"
        )
    columns = _values(frame, keys, values)
    data = frame.assign(period=month_starts(frame["period"], table="rollup").to_numpy())
    # First to level x month (balances of members add up at one date), then to the bucket.
    monthly = data.groupby([*keys, "period"], as_index=False, dropna=False)[columns].sum()
    bucket = monthly["period"].dt.to_period(FREQUENCY[grain]).dt.start_time
    monthly["bucket"] = bucket.astype("datetime64[ns]")
    groups = monthly.sort_values("period").groupby([*keys, "bucket"], dropna=False)
    flows = [c for c in columns if c not in BALANCES]
    stocks = [c for c in columns if c in BALANCES]
    out = groups[flows].sum() if flows else groups.size().to_frame("months").iloc[:, :0]
    if stocks:
        out = out.join(groups[stocks].last())
    out["months"] = groups["period"].nunique()
    out = out.reset_index().rename(columns={"bucket": "period"})
    out.insert(len(keys) + 1, "grain", grain)
    return _with_ratios(out[[*keys, "period", "grain", "months", *columns]])


def _trend_months(
    monthly: pd.DataFrame, keys: list[str], columns: list[str], fit_periods: int, until: object
) -> pd.DataFrame:
    """Monthly values from a least-squares line through each group's last `fit_periods` months."""
    last = monthly["period"].max()
    recent = monthly[monthly["period"] > last - pd.DateOffset(months=fit_periods)]
    index = (recent["period"].dt.year - last.year) * 12 + recent["period"].dt.month - last.month
    long = recent.assign(x=index.astype(float)).melt(
        id_vars=[*keys, "x"], value_vars=columns, var_name="measure", value_name="y"
    )
    long = long.assign(xx=long["x"] ** 2, xy=long["x"] * long["y"])
    sums = long.groupby([*keys, "measure"], dropna=False)[["x", "y", "xx", "xy"]].sum()
    count = long.groupby([*keys, "measure"], dropna=False).size()
    spread = count * sums["xx"] - sums["x"] ** 2
    slope = ((count * sums["xy"] - sums["x"] * sums["y"]) / spread.where(spread > 0)).fillna(0.0)
    intercept = (sums["y"] - slope * sums["x"]) / count
    fit = pd.DataFrame({"slope": slope, "intercept": intercept}).reset_index()

    end = month_starts([until]).iloc[0]
    future = pd.date_range(last + pd.DateOffset(months=1), end, freq="MS")
    steps = pd.DataFrame({"period": future, "x": np.arange(1, len(future) + 1, dtype=float)})
    grid = fit.merge(steps, how="cross")
    grid["value"] = grid["intercept"] + grid["slope"] * grid["x"]
    # A line may cross zero; quantities and revenue that were never negative stay >= 0.
    never_negative = [c for c in columns if (monthly[c] >= 0).all()]
    floor = grid["measure"].isin(never_negative)
    grid.loc[floor, "value"] = grid.loc[floor, "value"].clip(lower=0.0)
    wide = grid.pivot_table(
        index=[*keys, "period"], columns="measure", values="value", dropna=False
    ).reset_index()
    wide.columns.name = None
    return wide[[*keys, "period", *columns]]


def extend_long_range(
    monthly: pd.DataFrame,
    years: int = 3,
    *,
    level: str | Sequence[str] = "family",
    values: Sequence[str] | None = None,
    fit_periods: int = 12,
) -> pd.DataFrame:
    """A quarterly long-range view: the plan's months, then a linear trend out to `years`.

    The horizon runs `years` years from the first plan month. Beyond the last plan month each
    group and value column follows its least-squares line through the last `fit_periods`
    months. Rows are quarters with ``basis`` = ``plan`` (all months from the plan) or
    ``trend`` (any month extrapolated, including a quarter the plan only partly covers).

    >>> monthly = pd.DataFrame({"family": "F", "period": pd.date_range("2027-01-01",
    ...     periods=12, freq="MS"), "revenue": np.arange(1.0, 13.0)})
    >>> out = extend_long_range(monthly, years=2)
    >>> out[["revenue", "basis"]].values.tolist()[3:6]
    [[33.0, 'plan'], [42.0, 'trend'], [51.0, 'trend']]
    """
    keys = _levels(level)
    require_columns(monthly, [*keys, "period"], "monthly")
    if years < 1:
        raise InputError(f"must be at least 1, got {years}", table="arguments", column="years")
    columns = _values(monthly, keys, values)
    plan = rollup(monthly, level=keys or "total", grain="month", values=columns)
    plan = plan[[*keys, "period", *columns]]
    first = plan["period"].min()
    until = first + pd.DateOffset(years=years) - pd.DateOffset(months=1)
    trend = _trend_months(plan, keys, columns, fit_periods, until)
    both = pd.concat([plan.assign(basis="plan"), trend.assign(basis="trend")], ignore_index=True)
    both = both[both["period"] <= until]
    quarters = rollup(both, level=keys or "total", grain="quarter", values=columns)
    bucket = both["period"].dt.to_period("Q").dt.start_time.astype("datetime64[ns]")
    marked = both.assign(period=bucket, trend=both["basis"].eq("trend"))
    basis = marked.groupby([*keys, "period"], dropna=False)["trend"].any().reset_index()
    basis["basis"] = np.where(basis["trend"], "trend", "plan")
    quarters = quarters.merge(basis[[*keys, "period", "basis"]], on=[*keys, "period"])
    return quarters.sort_values([*keys, "period"]).reset_index(drop=True)
