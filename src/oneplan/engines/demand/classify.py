"""Demand classes: how regular an item's demand is decides which models may forecast it.

Syntetos and Boylan split items by the average demand interval (ADI: periods per period with
demand) and the squared coefficient of variation of the non-zero demand sizes (CV²):

=============  ===========  ============
               CV² < 0.49   CV² >= 0.49
=============  ===========  ============
ADI < 1.32     smooth       erratic
ADI >= 1.32    intermittent lumpy
=============  ===========  ============

Before that split three lifecycle classes are taken out, in this order: ``zero`` (no demand at all,
or no demand over the last ``phase_out_periods``), ``new`` (fewer than ``new_item_periods``
observations) and ``too_short`` (not enough history for a rolling-origin backtest of the full
models).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

ADI_CUTOFF = 1.32
CV2_CUTOFF = 0.49
DEMAND_CLASSES = ("smooth", "erratic", "intermittent", "lumpy", "too_short", "new", "zero")


def classify_demand(
    history: pd.DataFrame,
    *,
    min_backtest_periods: int,
    new_item_periods: int = 6,
    phase_out_periods: int = 12,
) -> pd.DataFrame:
    """Classify every series of a clean, gap-free history.

    Returns one row per ``unique_id`` with ``demand_class``, ``adi``, ``cv2`` and ``n_obs``.
    ``adi`` is ``inf`` and ``cv2`` is ``NaN`` for a series without demand.

    >>> ds = pd.date_range("2020-01-01", periods=24, freq="MS")
    >>> h = pd.DataFrame({"unique_id": "a", "ds": ds, "y": [0.0, 0.0, 4.0] * 8})
    >>> row = classify_demand(h, min_backtest_periods=12).iloc[0]
    >>> str(row["demand_class"]), float(row["adi"]), float(row["cv2"])
    ('intermittent', 3.0, 0.0)
    """
    y = history["y"].to_numpy(dtype="float64")
    ids = history["unique_id"].to_numpy()
    positive = y > 0
    frame = pd.DataFrame(
        {"unique_id": ids, "positive": positive, "size": np.where(positive, y, np.nan)}
    )
    frame["position"] = frame.groupby("unique_id", sort=False).cumcount()
    frame["demand_at"] = frame["position"].where(positive)
    grouped = frame.groupby("unique_id", sort=True)
    n_obs = grouped.size()
    n_demand = grouped["positive"].sum()
    mean_size = grouped["size"].mean()
    std_size = grouped["size"].std(ddof=0)
    last_demand = grouped["demand_at"].max()

    adi = n_obs / n_demand.replace(0, np.nan)
    cv2 = (std_size / mean_size) ** 2
    trailing_zeros = (n_obs - 1 - last_demand).fillna(n_obs)

    demand_class = np.select(
        [
            (n_demand == 0) | (trailing_zeros >= phase_out_periods),
            n_obs < new_item_periods,
            n_obs < min_backtest_periods,
            (adi < ADI_CUTOFF) & (cv2 < CV2_CUTOFF),
            adi < ADI_CUTOFF,
            cv2 < CV2_CUTOFF,
        ],
        ["zero", "new", "too_short", "smooth", "erratic", "intermittent"],
        default="lumpy",
    )
    return pd.DataFrame(
        {
            "unique_id": n_obs.index.to_numpy(),
            "demand_class": demand_class,
            "adi": adi.fillna(np.inf).to_numpy(),
            "cv2": cv2.to_numpy(),
            "n_obs": n_obs.to_numpy().astype("int64"),
        }
    )
