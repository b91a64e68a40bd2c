"""Lifecycle rules: launch ramps computed by hand, zero after end date, obsolete items."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from oneplan.engines.demand.lifecycle import apply_end_dates, launch_forecast
from oneplan.errors import InputError

MONTHS = pd.date_range("2027-01-01", periods=8, freq="MS")


def like_forecast() -> pd.DataFrame:
    rows = []
    for uid, level in (("OLD|L1", 100.0), ("OLD|L2", 40.0), ("OTHER|L1", 7.0)):
        rows.append(
            pd.DataFrame(
                {
                    "unique_id": uid,
                    "ds": MONTHS,
                    "forecast": level + np.arange(len(MONTHS)),
                    "forecast-lo-80": level - 10 + np.arange(len(MONTHS)),
                    "forecast-hi-80": level + 10 + np.arange(len(MONTHS)),
                }
            )
        )
    return pd.concat(rows, ignore_index=True)


LAUNCHES = pd.DataFrame(
    {"item": ["NEW"], "like_item": ["OLD"], "scale": [0.8], "ramp_up_periods": [4]}
)
ITEMS = pd.DataFrame(
    {
        "code": ["NEW", "OLD", "OTHER"],
        "launch_date": ["2027-03-20", None, None],
        "end_date": [None, "2027-05-31", None],
        "lifecycle_status": ["new", "phase_out", "active"],
    }
)


def test_ramp_up_values_by_hand():
    result = launch_forecast(like_forecast(), LAUNCHES, ITEMS, horizon_periods=8)
    fc = result.forecast.set_index(["unique_id", "ds"])
    # Launch in March (month 2 of the plan); ramp of 4 months: 1/4, 2/4, 3/4, then full.
    ramp = [0, 0, 0.25, 0.5, 0.75, 1, 1, 1]
    for uid, level in (("NEW|L1", 100.0), ("NEW|L2", 40.0)):
        like = level + np.arange(8)
        expected = 0.8 * like * np.array(ramp)
        np.testing.assert_allclose(fc.loc[uid, "forecast"], expected)
        np.testing.assert_allclose(
            fc.loc[uid, "forecast-hi-80"], 0.8 * (like + 10) * np.array(ramp)
        )
    assert fc.loc[("NEW|L1", pd.Timestamp("2027-04-01")), "forecast"] == pytest.approx(
        0.8 * 103 * 0.5
    )
    assert set(result.forecast["unique_id"]) == {"NEW|L1", "NEW|L2"}
    trail = result.lifecycle
    assert list(trail.columns) == ["unique_id", "ds", "rule", "factor"]
    assert (trail["rule"] == "launch_ramp").all()
    np.testing.assert_allclose(
        trail.loc[trail["unique_id"] == "NEW|L1", "factor"], 0.8 * np.array(ramp)
    )


def test_horizon_limits_the_months():
    result = launch_forecast(like_forecast(), LAUNCHES, ITEMS, horizon_periods=3)
    assert sorted(result.forecast["ds"].unique()) == list(MONTHS[:3])


def test_zero_ramp_and_missing_launch_date_mean_full_volume_from_the_start():
    launches = LAUNCHES.assign(ramp_up_periods=0)
    items = ITEMS.assign(launch_date=None)
    fc = launch_forecast(like_forecast(), launches, items, 8).forecast
    np.testing.assert_allclose(
        fc.loc[fc["unique_id"] == "NEW|L1", "forecast"], 0.8 * (100 + np.arange(8))
    )


def test_like_item_without_forecast_is_reported():
    launches = LAUNCHES.assign(like_item="GHOST")
    with pytest.raises(InputError, match="has no forecast for like_item 'GHOST'") as error:
        launch_forecast(like_forecast(), launches, ITEMS, 8)
    assert (error.value.table, error.value.column) == ("like_item_forecast", "unique_id")


def test_bad_scale_is_reported():
    with pytest.raises(InputError, match=r"column scale: is 0\.0; it must be more than 0") as error:
        launch_forecast(like_forecast(), LAUNCHES.assign(scale=0.0), ITEMS, 8)
    assert (error.value.table, error.value.row, error.value.column) == ("launches", 0, "scale")


def test_short_like_forecast_is_reported():
    with pytest.raises(InputError, match=r"fewer than horizon_periods \(12\)") as error:
        launch_forecast(like_forecast(), LAUNCHES, ITEMS, 12)
    assert (error.value.table, error.value.column) == ("like_item_forecast", "ds")


def test_zero_from_the_month_after_end_date():
    result = apply_end_dates(like_forecast(), ITEMS)
    fc = result.forecast.set_index(["unique_id", "ds"])
    old = fc.loc["OLD|L1"]
    # end_date 2027-05-31: May keeps its forecast, June onwards is zero.
    np.testing.assert_allclose(old.loc[:"2027-05-01", "forecast"], 100 + np.arange(5))
    assert (
        (old.loc["2027-06-01":, ["forecast", "forecast-lo-80", "forecast-hi-80"]] == 0).all().all()
    )
    np.testing.assert_allclose(fc.loc["OTHER|L1", "forecast"], 7 + np.arange(8))
    trail = result.lifecycle
    assert len(trail) == 2 * 3  # two locations x June, July, August
    assert set(trail["rule"]) == {"phase_out"}
    assert (trail["factor"] == 0).all()


def test_obsolete_items_forecast_zero():
    items = ITEMS.assign(lifecycle_status=["new", "active", "obsolete"])
    result = apply_end_dates(like_forecast(), items)
    other = result.forecast[result.forecast["unique_id"] == "OTHER|L1"]
    assert (other["forecast"] == 0).all()
    assert set(result.lifecycle.loc[result.lifecycle["unique_id"] == "OTHER|L1", "rule"]) == {
        "obsolete"
    }
    # The original frame is left as it was.
    assert (like_forecast()["forecast"] > 0).all()


def test_unknown_status_is_reported():
    with pytest.raises(InputError, match="column lifecycle_status: 'retired' is not") as error:
        apply_end_dates(like_forecast(), ITEMS.assign(lifecycle_status="retired"))
    assert (error.value.table, error.value.row, error.value.column) == (
        "items",
        0,
        "lifecycle_status",
    )
