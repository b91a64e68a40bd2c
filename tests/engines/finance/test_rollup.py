"""Roll-ups add up exactly; the long-range view marks what is extrapolated."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from oneplan.engines.finance import extend_long_range, rollup

MONTHS = pd.date_range("2027-01-01", periods=18, freq="MS")


def _lines() -> pd.DataFrame:
    rng = np.random.default_rng(3)
    items = pd.DataFrame(
        {"item": ["A", "B", "C"], "family": ["F", "F", "G"], "category": ["X", "X", "Y"]}
    )
    grid = items.merge(pd.DataFrame({"period": MONTHS}), how="cross")
    grid["location"] = "P1"
    grid["shipped_quantity"] = rng.integers(10, 100, len(grid)).astype(float)
    grid["revenue"] = grid["shipped_quantity"] * rng.uniform(5, 20, len(grid))
    grid["cogs"] = grid["revenue"] * 0.6
    grid["gross_margin"] = grid["revenue"] - grid["cogs"]
    grid["inventory_value"] = rng.uniform(0, 500, len(grid))
    grid["margin_pct"] = grid["gross_margin"] / grid["revenue"]
    return grid


def test_quarters_and_years_are_sums_of_months() -> None:
    lines = _lines()
    quarters = rollup(lines, level="family", grain="quarter")
    months = rollup(lines, level="family", grain="month")
    assert len(quarters) == 2 * 6 and (quarters["months"] == 3).all()
    months["quarter"] = months["period"].dt.to_period("Q").dt.start_time
    expected = months.groupby(["family", "quarter"])["revenue"].sum().to_numpy()
    assert quarters.sort_values(["family", "period"])["revenue"].to_numpy() == pytest.approx(
        expected
    )
    years = rollup(lines, level="category", grain="year")
    first_year = lines[lines["period"].dt.year == 2027]
    x_2027 = years[(years["category"] == "X") & (years["period"] == pd.Timestamp("2027-01-01"))]
    assert float(x_2027["gross_margin"].iloc[0]) == pytest.approx(
        first_year.loc[first_year["category"] == "X", "gross_margin"].sum()
    )
    total = rollup(lines, level="total", grain="year")
    assert total["revenue"].sum() == pytest.approx(lines["revenue"].sum())
    assert list(total.columns[:2]) == ["period", "grain"]


def test_balances_take_the_last_month_and_ratios_are_recomputed() -> None:
    lines = _lines()
    quarters = rollup(lines, level=["family"], grain="quarter")
    q1 = quarters[(quarters["family"] == "F") & (quarters["period"] == MONTHS[0])].iloc[0]
    march = lines[(lines["family"] == "F") & (lines["period"] == MONTHS[2])]
    assert q1["inventory_value"] == pytest.approx(march["inventory_value"].sum())
    q1_rows = lines[(lines["family"] == "F") & (lines["period"] <= MONTHS[2])]
    assert q1["margin_pct"] == pytest.approx(
        q1_rows["gross_margin"].sum() / q1_rows["revenue"].sum()
    )
    assert q1["price"] == pytest.approx(
        q1_rows["revenue"].sum() / q1_rows["shipped_quantity"].sum()
    )


def test_long_range_marks_trend_and_keeps_plan_quarters() -> None:
    lines = _lines()
    out = extend_long_range(lines, years=3, level="family")
    plan_quarters = rollup(lines, level="family", grain="quarter")
    planned = out[out["basis"] == "plan"]
    assert len(planned) == len(plan_quarters)
    merged = planned.merge(plan_quarters, on=["family", "period"], suffixes=("", "_q"))
    assert merged["revenue"].to_numpy() == pytest.approx(merged["revenue_q"].to_numpy())
    trend = out[out["basis"] == "trend"]
    # 18 plan months = 6 quarters; 3 years = 12 quarters: 6 trend quarters per family
    assert len(trend) == 2 * 6
    assert (trend["period"] > MONTHS[-1]).all()
    assert out["period"].max() == pd.Timestamp("2029-10-01")
    assert (out["grain"] == "quarter").all()


def test_trend_follows_a_straight_line_and_marks_partial_quarters() -> None:
    months = pd.date_range("2027-01-01", periods=14, freq="MS")
    monthly = pd.DataFrame(
        {
            "family": "F",
            "period": months,
            "revenue": 100.0 + 10.0 * np.arange(14),
            "gross_margin": 40.0 - 5.0 * np.arange(14),
        }
    )
    out = extend_long_range(monthly, years=2, level="family").set_index("period")
    # the plan ends in February 2028: Q1 2028 is part plan, part trend
    q1_2028 = out.loc[pd.Timestamp("2028-01-01")]
    assert q1_2028["basis"] == "trend"
    assert q1_2028["revenue"] == pytest.approx(220 + 230 + 240)
    # revenue keeps its slope of +10 a month; margin may go negative, as in the history
    q4_2028 = out.loc[pd.Timestamp("2028-10-01")]
    assert q4_2028["revenue"] == pytest.approx(310 + 320 + 330)
    assert q4_2028["gross_margin"] == pytest.approx((40 - 5 * 21) + (40 - 5 * 22) + (40 - 5 * 23))
    assert out.loc[pd.Timestamp("2027-04-01"), "basis"] == "plan"


def test_trend_of_never_negative_figures_stops_at_zero() -> None:
    months = pd.date_range("2027-01-01", periods=12, freq="MS")
    monthly = pd.DataFrame({"period": months, "revenue": 120.0 - 10.0 * np.arange(12)})
    out = extend_long_range(monthly, years=3, level="total")
    assert (out["revenue"] >= 0).all()
    assert out["revenue"].iloc[-1] == 0.0
