"""The demo's spring sprinkler campaign (+15 %, April-May 2026): cleaned by its known uplift,
so the next spring is forecast at last year's baseline, not at the neighbouring months'."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from oneplan.engines.demand.hierarchy import split_bottom_id
from oneplan.engines.demand.plan import clean_past_events, monthly_history
from oneplan.engines.pipeline.demand import statistical_forecast

PLAN_START = pd.Timestamp("2027-01-01")
CAMPAIGN = pd.DatetimeIndex(["2026-04-01", "2026-05-01"])


def family_total(frame: pd.DataFrame, families: pd.Series, family: str, value: str) -> pd.Series:
    items = split_bottom_id(frame["unique_id"])["item"] if "unique_id" in frame else frame["item"]
    mask = (items.map(families) == family).to_numpy()
    month = frame["ds"] if "ds" in frame else frame["period"]
    return frame[mask].groupby(month[mask])[value].sum()


@pytest.fixture(scope="module")
def spring(demo_frames: dict[str, pd.DataFrame]) -> dict[str, pd.Series]:
    campaign = demo_frames["demand_events"].set_index("code").loc["PRM-202604-SPR"]
    assert (campaign["family"], campaign["uplift_pct"]) == ("SPR", 15.0)
    families = demo_frames["items"].set_index("code")["family"]
    history = monthly_history(demo_frames["sales_history"], PLAN_START)
    cleaned, changes = clean_past_events(history, demo_frames)
    months = pd.date_range(PLAN_START, periods=18, freq="MS")
    stats = statistical_forecast(cleaned, len(months), months, demo_frames)
    return {
        "actual": family_total(history, families, "SPR", "y"),
        "cleaned": family_total(cleaned, families, "SPR", "y"),
        "forecast": family_total(stats["baseline"], families, "SPR", "baseline"),
        "methods": changes["method"],
    }


def test_the_campaign_months_are_the_sales_less_the_known_uplift(spring):
    actual, cleaned = spring["actual"], spring["cleaned"]
    np.testing.assert_allclose(cleaned[CAMPAIGN], actual[CAMPAIGN] / 1.15)
    # Later SPR months are untouched (earlier years had promotions of single items).
    other = actual.index[actual.index >= "2025-06-01"].difference(CAMPAIGN)
    np.testing.assert_allclose(cleaned[other], actual[other])
    assert set(spring["methods"]) == {"known_uplift"}  # every demo event gives its uplift


def test_next_spring_is_forecast_near_last_years_baseline(spring):
    last_year = spring["actual"][CAMPAIGN].to_numpy() / 1.15  # the campaign taken out
    forecast = spring["forecast"][CAMPAIGN + pd.DateOffset(years=1)].to_numpy()
    # The neighbours' median put these months about 40 % below last year's baseline.
    assert (forecast > 0.9 * last_year).all()
    assert (forecast < 1.1 * spring["actual"][CAMPAIGN].to_numpy()).all()
