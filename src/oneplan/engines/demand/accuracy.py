"""Forecast accuracy over long frames, grouped by any columns (item, family, lag, ...).

All metrics are fractions, not percentages, and are computed with grouped sums, never a loop per
group:

- ``wape``  = sum |forecast - y| / sum |y|
- ``mape``  = mean of |forecast - y| / |y| over rows with ``y != 0`` (a zero actual has no
  percentage error; a group with only zero actuals gets NaN)
- ``smape`` = mean of 2 |forecast - y| / (|forecast| + |y|), a row with both zero counts as 0
- ``mase``  = mean |forecast - y| / the series' in-sample seasonal-naive MAE
- ``bias``  = sum (forecast - y) / sum y (positive: over-forecast)
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from utilsforecast.losses import mae as _mae

from oneplan.engines.frames import require_columns


def seasonal_naive_scale(history: pd.DataFrame, season_length: int) -> pd.Series:
    """In-sample MAE of the seasonal naive forecast per ``unique_id`` (the MASE denominator).

    Series shorter than one season plus one use the naive (lag-1) MAE instead.

    >>> h = pd.DataFrame({"unique_id": "a", "ds": range(5), "y": [1.0, 3.0, 2.0, 6.0, 4.0]})
    >>> float(seasonal_naive_scale(h, 1).loc["a"])
    2.25
    """
    ordered = history.sort_values(["unique_id", "ds"])
    by_item = ordered.groupby("unique_id", sort=True)["y"]
    seasonal = (ordered["y"] - by_item.shift(season_length)).abs()
    naive = (ordered["y"] - by_item.shift(1)).abs()
    keys = ordered["unique_id"]
    seasonal_mae = seasonal.groupby(keys, sort=True).mean()
    naive_mae = naive.groupby(keys, sort=True).mean()
    return seasonal_mae.fillna(naive_mae).rename("scale")


def accuracy_table(
    results: pd.DataFrame,
    *,
    by: Sequence[str] = ("unique_id",),
    actual: str = "y",
    forecast: str = "forecast",
    scale: pd.Series | None = None,
) -> pd.DataFrame:
    """WAPE, MAPE, sMAPE, MASE and bias of ``forecast`` against ``actual`` per group in ``by``.

    ``scale`` (indexed by ``unique_id``, e.g. from :func:`seasonal_naive_scale`) turns each row's
    absolute error into a scaled error; MASE is their mean per group. Without it MASE is NaN.

    >>> r = pd.DataFrame({"unique_id": ["a", "a"], "y": [10.0, 0.0], "forecast": [8.0, 1.0]})
    >>> accuracy_table(r).round(3).to_dict("records")[0]
    {'unique_id': 'a', 'wape': 0.3, 'mape': 0.2, 'smape': 1.111, 'mase': nan, 'bias': -0.1}
    """
    keys = list(by)
    require_columns(results, [*keys, actual, forecast], "results")
    y = results[actual].to_numpy(dtype="float64")
    f = results[forecast].to_numpy(dtype="float64")
    abs_error = np.abs(f - y)
    nonzero = y != 0
    denominator = np.abs(f) + np.abs(y)
    parts = pd.DataFrame(
        {
            "abs_error": abs_error,
            "abs_actual": np.abs(y),
            "error": f - y,
            "actual": y,
            "pct_error": np.where(nonzero, abs_error / np.where(nonzero, np.abs(y), 1.0), np.nan),
            "sym_error": np.where(
                denominator > 0, 2 * abs_error / np.where(denominator > 0, denominator, 1.0), 0.0
            ),
            "scaled_error": _scaled(results, abs_error, scale),
        }
    )
    for key in keys:
        parts[key] = results[key].to_numpy()
    grouped = parts.groupby(keys, sort=True, observed=True)
    sums = grouped[["abs_error", "abs_actual", "error", "actual"]].sum()
    means = grouped[["pct_error", "sym_error", "scaled_error"]].mean()
    table = pd.DataFrame(
        {
            "wape": sums["abs_error"] / sums["abs_actual"].replace(0, np.nan),
            "mape": means["pct_error"],
            "smape": means["sym_error"],
            "mase": means["scaled_error"],
            "bias": sums["error"] / sums["actual"].replace(0, np.nan),
        }
    )
    return table.reset_index()


def mean_absolute_error(results: pd.DataFrame, models: list[str]) -> pd.DataFrame:
    """MAE per ``unique_id`` for several model columns at once (utilsforecast's loss)."""
    table: pd.DataFrame = _mae(results, models=models, id_col="unique_id", target_col="y")
    return table


def _scaled(results: pd.DataFrame, abs_error: np.ndarray, scale: pd.Series | None) -> np.ndarray:
    if scale is None:
        return np.full(len(abs_error), np.nan)
    per_row = results["unique_id"].map(scale).to_numpy(dtype="float64")
    return np.where(per_row > 0, abs_error / np.where(per_row > 0, per_row, 1.0), np.nan)
