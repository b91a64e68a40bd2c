"""The demand step's statistical forecast: one model per item x location, optionally reconciled.

Without reconciliation the plan is coherent by construction: every level is the sum of its item x
location cells. With ``mint_ols`` or ``top_down`` the total, categories, families and regions get
base forecasts of their own (a handful of series, so seconds) and hierarchicalforecast makes all
levels agree; the item x location baseline is then the reconciled one, and the forecast before
reconciliation is kept as ``baseline_unreconciled``.
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from oneplan.engines.demand import forecast
from oneplan.engines.demand.hierarchy import (
    BOTTOM_LEVEL,
    aggregate_history,
    build_structure,
    reconcile,
    split_bottom_id,
)

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
    options = {
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
