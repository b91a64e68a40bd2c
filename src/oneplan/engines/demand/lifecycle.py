"""Product lifecycle in the demand plan: launches ramp up from a like item, phase-outs stop.

Both functions return a `LifecycleResult`: the changed forecast and a ``lifecycle`` frame
[unique_id, ds, rule, factor] saying which rule set which month and by what factor, so the demand
plan can show why a number is what it is. Bottom series are named ``ITEM|LOC``.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import pandas as pd

from oneplan.engines.demand.hierarchy import bottom_id, split_bottom_id
from oneplan.engines.frames import month_number, require_columns
from oneplan.errors import InputError

LIFECYCLE_STATUSES = ("active", "new", "phase_out", "obsolete")
LIFECYCLE_COLUMNS = ["unique_id", "ds", "rule", "factor"]


class LifecycleResult(NamedTuple):
    """The forecast after a lifecycle rule and the rows the rule touched."""

    forecast: pd.DataFrame
    lifecycle: pd.DataFrame


def forecast_columns(frame: pd.DataFrame) -> list[str]:
    """``forecast`` and its interval columns (``forecast-lo-80``, ``forecast-hi-95``, ...)."""
    return ["forecast"] + [
        c for c in frame.columns if c.startswith(("forecast-lo-", "forecast-hi-"))
    ]


def ramp_factor(months_since_launch: np.ndarray, ramp_up_periods: np.ndarray) -> np.ndarray:
    """Linear ramp: 0 before launch, (k + 1) / R in the k-th month after launch, capped at 1.

    The launch month (k = 0) sells 1/R of full volume; month R - 1 reaches full volume;
    R = 0 means full volume from the launch month.

    >>> ramp_factor(np.array([-1, 0, 1, 2, 3]), np.array([3, 3, 3, 3, 3])).round(3).tolist()
    [0.0, 0.333, 0.667, 1.0, 1.0]
    """
    k = np.asarray(months_since_launch, dtype=float)
    r = np.asarray(ramp_up_periods, dtype=float)
    ramp = np.minimum(1.0, (k + 1) / np.where(r > 0, r, 1.0))
    return np.where(k < 0, 0.0, np.where(r > 0, ramp, 1.0))


def launch_forecast(
    like_item_forecast: pd.DataFrame,
    launches: pd.DataFrame,
    items: pd.DataFrame,
    horizon_periods: int,
) -> LifecycleResult:
    """Forecast new items as ``scale`` x their like item's forecast, ramped up from launch.

    ``like_item_forecast`` [unique_id ``ITEM|LOC``, ds, forecast, interval columns] holds the like
    items' forecasts; ``launches`` [item, like_item, scale, ramp_up_periods]; ``items``
    [code, launch_date] (no launch_date: the ramp starts in the first forecast month). The new
    item gets a series at every location where its like item has one, for the first
    ``horizon_periods`` months. Interval columns scale with the forecast.

    >>> like = pd.DataFrame({"unique_id": "OLD|L1", "ds": pd.date_range("2027-01-01", periods=3,
    ...     freq="MS"), "forecast": 100.0})
    >>> launches = pd.DataFrame({"item": ["NEW"], "like_item": ["OLD"], "scale": [0.5],
    ...     "ramp_up_periods": [2]})
    >>> items = pd.DataFrame({"code": ["NEW"], "launch_date": ["2027-02-01"]})
    >>> launch_forecast(like, launches, items, 3).forecast["forecast"].tolist()
    [0.0, 25.0, 50.0]
    """
    require_columns(like_item_forecast, ["unique_id", "ds", "forecast"], "like_item_forecast")
    require_columns(launches, ["item", "like_item"], "launches")
    require_columns(items, ["code", "launch_date"], "items")
    if horizon_periods < 1:
        message = f"must be at least 1, got {horizon_periods}"
        raise InputError(message, table="arguments", column="horizon_periods")
    plan = launches.copy()
    for column, default in (("scale", 1.0), ("ramp_up_periods", 0)):
        plan[column] = plan[column].fillna(default) if column in plan else default

    def fail(rows: pd.Series, column: str, message: str) -> None:
        """Raise naming the first launch where `rows` holds: its row and the column."""
        if rows.any():
            row = int(np.argmax(rows.to_numpy()))
            text = message.format(plan[column].iloc[row])
            raise InputError(text, table="launches", column=column, row=row)

    fail(plan["scale"] <= 0, "scale", "is {}; it must be more than 0")
    fail(plan["ramp_up_periods"] < 0, "ramp_up_periods", "is {}; it must not be negative")
    fail(plan["item"].duplicated(), "item", "{!r} is launched twice")
    fail(~plan["item"].isin(items["code"]), "item", "{!r} is not in items")

    like = like_item_forecast.drop(columns=["item", "location"], errors="ignore")
    like = like.reset_index(drop=True)
    like = pd.concat([like, split_bottom_id(like["unique_id"], table="like_item_forecast")], axis=1)
    months = np.sort(like["ds"].unique())
    if len(months) < horizon_periods:
        message = f"covers {len(months)} months, fewer than horizon_periods ({horizon_periods})"
        raise InputError(message, table="like_item_forecast", column="ds")
    like = like[like["ds"].isin(months[:horizon_periods])]
    without = ~plan["like_item"].isin(like["item"])
    if without.any():
        row = plan.loc[without].iloc[0]
        message = f"has no forecast for like_item {row['like_item']!r} of {row['item']!r}"
        raise InputError(message, table="like_item_forecast", column="unique_id")
    start = items.set_index("code")["launch_date"]
    plan["launch_month"] = month_number(plan["item"].map(start)).fillna(
        month_number(pd.Series(months[:1])).iloc[0]
    )
    values = forecast_columns(like)
    rows = plan.merge(like, left_on="like_item", right_on="item", suffixes=("", "_like"))
    since = month_number(rows["ds"]) - rows["launch_month"]
    factor = rows["scale"].to_numpy(float) * ramp_factor(
        since.to_numpy(), rows["ramp_up_periods"].to_numpy()
    )
    ids = bottom_id(rows["item"], rows["location"])
    out = pd.DataFrame(
        {"unique_id": ids, "ds": rows["ds"], "rule": "launch_ramp", "factor": factor}
    )
    for column in values:
        out[column] = rows[column].to_numpy(float) * factor
    out = out.sort_values(["unique_id", "ds"], ignore_index=True)
    trail = out[LIFECYCLE_COLUMNS]
    out = out.drop(columns=["rule", "factor"])
    return LifecycleResult(out, trail)


def apply_end_dates(forecast: pd.DataFrame, items: pd.DataFrame) -> LifecycleResult:
    """Zero the forecast of obsolete items and, from the month after ``end_date``, of the rest.

    ``forecast`` [unique_id ``ITEM|LOC``, ds, forecast, interval columns]; ``items``
    [code, end_date, lifecycle_status]. The end_date's own month keeps its forecast. Items
    absent from ``items`` are left as they are. The ``lifecycle`` frame lists every zeroed row.

    >>> fc = pd.DataFrame({"unique_id": "A|L1", "ds": pd.date_range("2027-01-01", periods=3,
    ...     freq="MS"), "forecast": 10.0})
    >>> items = pd.DataFrame({"code": ["A"], "end_date": ["2027-02-10"],
    ...     "lifecycle_status": ["phase_out"]})
    >>> apply_end_dates(fc, items).forecast["forecast"].tolist()
    [10.0, 10.0, 0.0]
    """
    require_columns(forecast, ["unique_id", "ds", "forecast"], "forecast")
    require_columns(items, ["code", "end_date", "lifecycle_status"], "items")
    status = items["lifecycle_status"].fillna("active")
    odd = (~status.isin(LIFECYCLE_STATUSES)).to_numpy()
    if odd.any():
        row = int(np.argmax(odd))
        message = f"{status.iloc[row]!r} is not one of {LIFECYCLE_STATUSES}"
        raise InputError(message, table="items", column="lifecycle_status", row=row)
    twice = items["code"].duplicated().to_numpy()
    if twice.any():
        row = int(np.argmax(twice))
        message = f"{items['code'].iloc[row]!r} appears more than once"
        raise InputError(message, table="items", column="code", row=row)
    master = items.set_index("code")
    item = split_bottom_id(forecast["unique_id"], table="forecast")["item"]
    end_month = month_number(item.map(master["end_date"])).to_numpy()
    obsolete = (item.map(master["lifecycle_status"]) == "obsolete").to_numpy()
    ended = month_number(forecast["ds"]).to_numpy() > end_month  # NaN end_date compares False
    rule = np.where(obsolete, "obsolete", np.where(ended, "phase_out", ""))
    zeroed = rule != ""
    out = forecast.copy()
    for column in forecast_columns(out):
        out.loc[zeroed, column] = 0.0
    trail = forecast.loc[zeroed, ["unique_id", "ds"]].assign(rule=rule[zeroed], factor=0.0)
    return LifecycleResult(out, trail.reset_index(drop=True)[LIFECYCLE_COLUMNS])
