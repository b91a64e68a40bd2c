"""The demand step's computation: the statistical forecast, then the plan's layers.

The forecast is one model (or combination) per item x location, optionally reconciled.

Without reconciliation the plan is coherent by construction: every level is the sum of its item x
location cells. With ``mint_ols`` or ``top_down`` the total, categories, families and regions get
base forecasts of their own (a handful of series, so seconds) and hierarchicalforecast makes all
levels agree; the item x location baseline is then the reconciled one, and the forecast before
reconciliation is kept as ``baseline_unreconciled``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from oneplan.engines.demand import forecast
from oneplan.engines.demand.hierarchy import (
    BOTTOM_LEVEL,
    aggregate_history,
    bottom_id,
    build_structure,
    reconcile,
    split_bottom_id,
)
from oneplan.engines.demand.overrides import apply_overrides
from oneplan.engines.demand.plan import (
    CONSENSUS_COLUMNS,
    LAYERS,
    hierarchy_keys,
    plan_layers,
    price_cells,
    rollup,
)
from oneplan.engines.finance import expected_rebates

RECONCILIATION_METHODS = ("mint_ols", "top_down")
#: Aggregate levels forecast for reconciliation; items alone would double the forecast's cost.
RECONCILE_LEVELS = ("total", "category", "family", "region")


def with_keys(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with item and location (from ``unique_id``) as its first columns."""
    frame = frame.reset_index(drop=True)
    keys = (
        split_bottom_id(frame["unique_id"])
        if len(frame)
        else pd.DataFrame({"item": pd.Series(dtype=object), "location": pd.Series(dtype=object)})
    )
    return pd.concat([keys, frame.drop(columns="unique_id")], axis=1)


def hierarchy_frames(
    cleaned: pd.DataFrame, tables: dict[str, pd.DataFrame]
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """items [item, family, category], locations [location, region], bottom [item, location]."""
    families = tables["families"][["code", "category"]].rename(columns={"code": "family"})
    items = tables["items"][["code", "family"]].rename(columns={"code": "item"})
    items = items.merge(families, on="family", how="left")
    locations = tables["locations"][["code", "region"]].rename(columns={"code": "location"})
    bottom = split_bottom_id(pd.Series(cleaned["unique_id"].unique()))
    return items, locations, bottom


def statistical_forecast(
    cleaned: pd.DataFrame,
    horizon: int,
    months: pd.DatetimeIndex,
    tables: dict[str, pd.DataFrame],
    *,
    season_length: int = 12,
    levels: Sequence[int] = (80, 95),
    n_windows: int = 2,
    n_jobs: int = 1,
    reconciliation: str | None = None,
) -> dict[str, pd.DataFrame]:
    """Forecast ``cleaned`` [unique_id ``ITEM|LOC``, ds, y] ``horizon`` months ahead.

    Returns the frames a demand version stores: ``baseline`` (the months in ``months``),
    ``selection``, ``backtest`` (with ``error`` = y - forecast) and ``accuracy``, each with item
    and location columns; with reconciliation also ``hierarchy_forecast`` [unique_id,
    hierarchy_level, period, base_forecast, forecast] of the aggregate nodes.
    """
    if reconciliation is not None and reconciliation not in RECONCILIATION_METHODS:
        raise ValueError(
            f"reconciliation: {reconciliation!r} is not one of {RECONCILIATION_METHODS}"
        )
    # Every item's history runs to the same month before the plan (see monthly_history): an
    # item that stopped selling is padded with zeros, not forecast from its last sale.
    options = {
        "end": "global",
        "season_length": season_length,
        "levels": levels,
        "n_windows": n_windows,
        "n_jobs": n_jobs,
    }
    result = forecast(cleaned, horizon, **options)  # type: ignore[arg-type]
    future = result.forecast
    frames: dict[str, pd.DataFrame] = {}
    if reconciliation is not None:
        structure = build_structure(*hierarchy_frames(cleaned, tables), RECONCILE_LEVELS)
        totals = aggregate_history(cleaned, structure)
        upper = totals.loc[totals["hierarchy_level"] != BOTTOM_LEVEL, ["unique_id", "ds", "y"]]
        upper_result = forecast(upper, horizon, **options)  # type: ignore[arg-type]
        base = pd.concat([upper_result.forecast, future], ignore_index=True)
        # top_down splits the total down category > family > item x location by the mix of
        # the base forecasts, so this month's mix counts, not the history's average.
        reconciled = reconcile(
            base,
            None,
            structure,
            method=reconciliation,
            levels=levels,
            proportions="forecast_proportions",
            nonnegative=True,
        )
        bottom = reconciled["hierarchy_level"] == BOTTOM_LEVEL
        nodes = reconciled.loc[~bottom & reconciled["ds"].isin(months)]
        frames["hierarchy_forecast"] = nodes[
            ["unique_id", "hierarchy_level", "ds", "base_forecast", "forecast"]
        ].rename(columns={"ds": "period"})
        future = reconciled.loc[bottom].drop(columns="hierarchy_level")
        future = future.rename(columns={"base_forecast": "unreconciled"})
        # Reconciliation may leave a hair below zero; demand never is.
        value_columns = [c for c in future.columns if c not in ("unique_id", "ds")]
        future[value_columns] = future[value_columns].clip(lower=0.0)
    future = future[future["ds"].isin(months)]
    baseline = future.rename(
        columns=lambda c: c.replace("forecast", "baseline").replace("-", "_")
    ).rename(columns={"ds": "period", "unreconciled": "baseline_unreconciled"})
    backtest = result.backtest.assign(error=result.backtest["y"] - result.backtest["forecast"])
    return {
        "baseline": with_keys(baseline),
        "selection": with_keys(result.selection),
        "backtest": with_keys(backtest),
        "accuracy": with_keys(result.accuracy),
        **frames,
    }


def demand_plan_frames(
    stats: dict[str, pd.DataFrame],
    tables: dict[str, pd.DataFrame],
    months: pd.DatetimeIndex,
    overrides: pd.DataFrame,
) -> dict[str, pd.DataFrame]:
    """The plan's frames from the statistical forecast (``stats``, as `statistical_forecast`
    returns it): lifecycle, events, the cycle's overrides in order, prices and roll-ups."""
    stored = stats["baseline"]
    baseline = pd.DataFrame(
        {
            "unique_id": bottom_id(stored["item"], stored["location"]),
            "ds": stored["period"],
            "forecast": stored["baseline"],
        }
    )
    layers = plan_layers(baseline, tables, months)
    cells = _with_override_series(layers.cells, overrides, months)
    cells = hierarchy_keys(cells, tables)
    cells["current"] = cells["baseline"] + cells["lifecycle_adjustment"] + cells["event_uplift"]
    adjustment, applied = apply_overrides(cells, overrides)
    consensus = cells.rename(columns={"ds": "period"})
    consensus["override_adjustment"] = adjustment
    consensus["quantity"] = sum(consensus[layer] for layer in LAYERS)
    # Valued net of the rebates expected on the list price, as the history and the budget are.
    prices = expected_rebates(tables["prices"], tables.get("sales_history"), tables.get("items"))
    consensus["price"] = price_cells(consensus, prices).to_numpy()
    consensus["value"] = consensus["quantity"] * consensus["price"]
    roll = rollup(consensus)
    consensus = consensus.sort_values(["item", "location", "period"], ignore_index=True)
    return {
        **stats,
        "lifecycle": layers.lifecycle,
        "events": layers.events,
        "overrides_applied": applied,
        "consensus": consensus[CONSENSUS_COLUMNS],
        "rollup": roll,
        "skipped_launches": pd.DataFrame({"launch": layers.skipped_launches}, dtype=object),
    }


def _with_override_series(
    cells: pd.DataFrame, overrides: pd.DataFrame, months: pd.DatetimeIndex
) -> pd.DataFrame:
    """Add an all-zero series for each item_location override that names a new series."""
    named = overrides.loc[overrides["level"] == "item_location", "member"].drop_duplicates()
    new = named[~named.isin(cells["unique_id"])]
    if new.empty:
        return cells
    ids = np.repeat(new.to_numpy(), len(months))
    extra = pd.DataFrame({"unique_id": ids, "ds": np.tile(months.to_numpy(), len(new))})
    extra = pd.concat([extra, split_bottom_id(extra["unique_id"])], axis=1)
    extra = extra.assign(baseline=0.0, lifecycle_adjustment=0.0, event_uplift=0.0, open=True)
    return pd.concat([cells, extra[cells.columns]], ignore_index=True)


def demand_summary(
    frames: dict[str, pd.DataFrame],
    currency: str,
    plan_start: pd.Timestamp,
    horizon: int,
    reused: bool,
) -> dict[str, Any]:
    """The headline figures of a demand plan."""
    consensus, selection = frames["consensus"], frames["selection"]
    wape = frames["accuracy"]["wape"].replace([np.inf, -np.inf], np.nan)
    mean_wape = float(wape.mean()) if wape.notna().any() else None
    applied = frames["overrides_applied"]
    return {
        "series": len(selection),
        "planned_series": int(consensus[["item", "location"]].drop_duplicates().shape[0]),
        "fell_back": int(selection["fell_back"].fillna(False).astype(bool).sum()),
        "total_units": float(consensus["quantity"].sum()),
        "total_value": float(consensus["value"].sum()),
        "unpriced_cells": int(consensus["price"].isna().sum()),
        "mean_wape": mean_wape,
        "overrides": int((applied["status"] == "applied").sum()),
        "events": int(frames["events"]["event"].nunique()) if len(frames["events"]) else 0,
        "currency": currency,
        "plan_start": f"{plan_start:%Y-%m-%d}",
        "horizon_periods": horizon,
        "forecast_reused": reused,
    }
