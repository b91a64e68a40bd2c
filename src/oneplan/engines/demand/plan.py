"""The demand plan's layers as frames: baseline, lifecycle, events, overrides, money.

The demand step calls these in order (see ``engines.pipeline.demand``). A cell is one item at
one location in one month; each layer is kept as its own column so that ``quantity = baseline +
lifecycle_adjustment + event_uplift + override_adjustment`` holds for every cell and forecast
value added can be measured per layer.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from utilsforecast.preprocessing import fill_gaps

from oneplan.engines.demand.events import apply_uplift, clean_history, expand_events
from oneplan.engines.demand.hierarchy import bottom_id, split_bottom_id
from oneplan.engines.demand.lifecycle import apply_end_dates, launch_forecast
from oneplan.engines.frames import month_starts, numeric, value_in_force
from oneplan.errors import Problem, ValidationFailed

LAYERS = ["baseline", "lifecycle_adjustment", "event_uplift", "override_adjustment"]
CONSENSUS_COLUMNS = ["item", "location", "period", *LAYERS, "quantity", "price", "value"]
ROLLUP_LEVELS = ("total", "category", "family", "region", "location", "item")


def monthly_history(sales_history: pd.DataFrame, plan_start: pd.Timestamp) -> pd.DataFrame:
    """Sales before ``plan_start`` per ``ITEM|LOC`` and month, missing months as zero demand.

    Weekly dates fall into the month they start in. Each series runs from its first sale to the
    same last month for all: the latest month of the sales history before the plan start (the
    month before it when the history is up to date). An item's silence up to then is real zero
    demand, which is how a phase-out shows; unlike a file of unrelated series (``forecast``'s
    ``end="per_series"``), no item is forecast from its own last sale. Returns [unique_id, ds, y].

    >>> sales = pd.DataFrame({"item": ["A", "A", "A"], "location": ["L"] * 3,
    ...     "period": pd.to_datetime(["2026-01-05", "2026-01-12", "2026-03-02"]),
    ...     "quantity": [1.0, 2.0, 4.0]})
    >>> monthly_history(sales, pd.Timestamp("2026-04-01"))["y"].tolist()
    [3.0, 0.0, 4.0]
    """
    month = month_starts(sales_history["period"], table="sales_history", column="period")
    frame = pd.DataFrame(
        {
            "unique_id": bottom_id(sales_history["item"], sales_history["location"]),
            "ds": month.astype("datetime64[ns]"),
            "y": sales_history["quantity"].astype("float64"),
        }
    )
    frame = frame[frame["ds"] < plan_start]
    if frame.empty:
        raise ValidationFailed(
            [
                Problem(
                    "sales_history",
                    None,
                    "period",
                    f"has no sales before plan_start {plan_start:%Y-%m}",
                )
            ]
        )
    monthly = frame.groupby(["unique_id", "ds"], as_index=False).agg(y=("y", "sum"))
    filled: pd.DataFrame = fill_gaps(monthly, freq="MS", start="per_serie", end="global")
    filled["y"] = filled["y"].fillna(0.0)
    return filled.sort_values(["unique_id", "ds"], ignore_index=True)


def clean_past_events(
    history: pd.DataFrame, tables: dict[str, pd.DataFrame]
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """History with past promotion and event months replaced, and the list of replaced rows."""
    events = tables["demand_events"]
    if events.empty:
        return history, pd.DataFrame(columns=["unique_id", "ds", "events", "y", "y_cleaned"])
    cells = _event_cells(events, tables, history["ds"].drop_duplicates())
    cells = cells[cells["unique_id"].isin(history["unique_id"])]
    cleaned = clean_history(history, cells)
    return cleaned.history, cleaned.changes


def _event_cells(
    events: pd.DataFrame, tables: dict[str, pd.DataFrame], periods: pd.Series
) -> pd.DataFrame:
    return expand_events(events, tables["items"], tables["locations"], periods)


@dataclass(frozen=True)
class PlanLayers:
    """The plan after lifecycle and events, before overrides (``cells``) and what made it."""

    cells: pd.DataFrame
    lifecycle: pd.DataFrame
    events: pd.DataFrame
    skipped_launches: list[str]


def plan_layers(
    baseline: pd.DataFrame,
    tables: dict[str, pd.DataFrame],
    months: pd.DatetimeIndex,
) -> PlanLayers:
    """Add launches, end dates and future events to ``baseline`` [unique_id, ds, forecast].

    ``cells`` holds [unique_id, item, location, ds, baseline, lifecycle_adjustment,
    event_uplift, open]; ``open`` is False where a lifecycle rule closes the cell (before a
    launch, after an end date, obsolete).
    """
    items = tables["items"]
    launches = _launch_plan(tables["launches"], items)
    like_ids = split_bottom_id(baseline["unique_id"])["item"]
    has_like = launches["like_item"].isin(set(like_ids))
    skipped = [
        f"{row.item} (like item {row.like_item} has no forecast)"
        for row in launches[~has_like].itertuples()
    ]
    launches = launches[has_like]
    plan = baseline[["unique_id", "ds", "forecast"]].rename(columns={"forecast": "baseline"})
    plan["launch"], plan["launched"] = 0.0, False
    trails = []
    if len(launches):
        launched = launch_forecast(baseline, launches, items, len(months))
        new = launched.forecast[~launched.forecast["unique_id"].isin(plan["unique_id"])]
        new_rows = new[["unique_id", "ds", "forecast"]].rename(columns={"forecast": "launch"})
        plan = pd.concat([plan, new_rows.assign(baseline=0.0, launched=True)], ignore_index=True)
        trail = launched.lifecycle[launched.lifecycle["unique_id"].isin(new["unique_id"])]
        trails.append(trail.assign(adjustment=new["forecast"].to_numpy()))
    plan = plan.sort_values(["unique_id", "ds"], ignore_index=True)
    before_end = plan["baseline"] + plan["launch"]
    ended = apply_end_dates(plan.assign(forecast=before_end), items)
    zeroed = plan.set_index(["unique_id", "ds"]).index.isin(
        ended.lifecycle.set_index(["unique_id", "ds"]).index
    )
    plan["lifecycle_adjustment"] = np.where(zeroed, -plan["baseline"], plan["launch"])
    trails.append(
        ended.lifecycle.assign(adjustment=-before_end[zeroed].to_numpy())
        if zeroed.any()
        else ended.lifecycle.assign(adjustment=0.0)
    )
    # A launch series is closed before its launch month, like an item after its end date.
    plan["open"] = ~zeroed & ~(plan["launched"] & (plan["launch"] == 0)).to_numpy()
    plan = pd.concat([plan, split_bottom_id(plan["unique_id"])], axis=1)

    after_lifecycle = plan["baseline"] + plan["lifecycle_adjustment"]
    contributions = pd.DataFrame(columns=["event", "kind", "unique_id", "ds", "uplift"])
    plan["event_uplift"] = 0.0
    if len(tables["demand_events"]):
        cells = _event_cells(tables["demand_events"], tables, pd.Series(months))
        open_cells = plan.loc[plan["open"], ["unique_id", "ds"]]
        cells = cells.merge(open_cells, on=["unique_id", "ds"])
        if len(cells):
            uplifted = apply_uplift(
                plan[["unique_id", "ds"]].assign(forecast=after_lifecycle), cells
            )
            plan["event_uplift"] = uplifted.plan["event_uplift"].to_numpy()
            contributions = uplifted.contributions
    lifecycle = pd.concat(trails, ignore_index=True)
    lifecycle = pd.concat([split_bottom_id(lifecycle["unique_id"]), lifecycle], axis=1)
    events = contributions.reset_index(drop=True)
    events = pd.concat([split_bottom_id(events["unique_id"]), events], axis=1)
    columns = ["unique_id", "item", "location", "ds", "baseline", "lifecycle_adjustment"]
    return PlanLayers(
        plan[[*columns, "event_uplift", "open"]],
        lifecycle.rename(columns={"ds": "period"}).drop(columns="unique_id"),
        events.rename(columns={"ds": "period"}).drop(columns="unique_id"),
        skipped,
    )


def _launch_plan(launches: pd.DataFrame, items: pd.DataFrame) -> pd.DataFrame:
    """The launches table, plus new items that only name a like_item (scale 1, no ramp)."""
    plan = launches[["item", "like_item", "scale", "ramp_up_periods"]].copy()
    named = items[
        items["like_item"].notna()
        & (items["lifecycle_status"] == "new")
        & ~items["code"].isin(plan["item"])
    ]
    extra = pd.DataFrame(
        {"item": named["code"], "like_item": named["like_item"], "scale": 1.0, "ramp_up_periods": 0}
    )
    plan = pd.concat([plan, extra], ignore_index=True) if len(extra) else plan
    plan["scale"] = plan["scale"].astype("float64")
    plan["ramp_up_periods"] = plan["ramp_up_periods"].fillna(0).astype("int64")
    return plan.reset_index(drop=True)


def hierarchy_keys(cells: pd.DataFrame, tables: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """``cells`` with family, category and region added from the master data."""
    items = tables["items"][["code", "family"]].rename(columns={"code": "item"})
    families = tables["families"][["code", "category"]].rename(columns={"code": "family"})
    regions = tables["locations"][["code", "region"]].rename(columns={"code": "location"})
    keyed = cells.merge(items, on="item", how="left").merge(families, on="family", how="left")
    return keyed.merge(regions, on="location", how="left")


def price_cells(consensus: pd.DataFrame, prices: pd.DataFrame) -> pd.Series:
    """The list price (channel ``all``) valid in each row's month, net of the row's ``rebate``
    (a share of the price) where prices carry one: the latest ``valid_from`` month on or before
    it (a price valid from mid-month prices its whole month, as the supply and finance engines
    count it). Rows before an item's first price get NaN."""
    listed = prices.loc[prices["channel"] == "all"]
    listed = listed[["item", "valid_from", "price"]].assign(
        rebate=numeric(listed, "rebate", "prices", default=0.0)
    )
    priced = value_in_force(consensus, listed, ["item"], ["price", "rebate"], table="prices")
    return priced["price"] * (1.0 - priced["rebate"].fillna(0.0))


def rollup(consensus: pd.DataFrame, levels: Sequence[str] = ROLLUP_LEVELS) -> pd.DataFrame:
    """Sum the consensus layers, quantity and value to each level's members and months.

    Returns [level, member, period, baseline, ..., quantity, value]; ``total`` has member "".
    """
    measures = [*LAYERS, "quantity", "value"]
    parts = []
    for level in levels:
        keys = consensus[level] if level != "total" else pd.Series("", index=consensus.index)
        summed = consensus.groupby([keys.rename("member"), consensus["period"]])[measures].sum()
        parts.append(summed.reset_index().assign(level=level))
    out = pd.concat(parts, ignore_index=True)
    return out[["level", "member", "period", *measures]]
