"""KPIs cycle over cycle on a two-cycle fixture, every figure recomputed by hand.

Cycle 2027-01 (opened 4 January 08:00, release approved 20 January 08:00) released a plan
for item A (sold at DC, made at PL); cycle 2027-02 has no supply or financial plan, no
production actuals and no release yet, so its figures are missing, planned or pending.

Sales of A at DC: 2026-12 10, 2027-01 10 (revenue 100), 2027-02 20 (revenue 180),
2027-03 15, 2027-04 10. The naive layer repeats the last month before the cycle (one month
of history is too short for a seasonal one): 10 for both cycles.
"""

from __future__ import annotations

import math

import pandas as pd
import pytest

from oneplan.engines.kpi.trend import KPI_UNITS, TREND_COLUMNS, TrendInputs, kpi_trend, trend_table
from oneplan.errors import InputError


def month(text: str) -> pd.Timestamp:
    return pd.Timestamp(f"{text}-01")


def fixture() -> TrendInputs:
    cycles = pd.DataFrame(
        {
            "cycle": ["2027-02", "2027-01"],  # in any order: the trend sorts them
            "opened_at": pd.to_datetime(["2027-02-02 08:00", "2027-01-04 08:00"], utc=True),
            "released_at": [pd.NaT, pd.Timestamp("2027-01-20 08:00", tz="UTC")],
        }
    )
    sales = pd.DataFrame(
        {
            "item": "A",
            "location": "DC",
            "period": [month(m) for m in ("2026-12", "2027-01", "2027-02", "2027-03", "2027-04")],
            "quantity": [10.0, 10.0, 20.0, 15.0, 10.0],
            "revenue": [100.0, 100.0, 180.0, 150.0, 100.0],
        }
    )
    layers = pd.DataFrame(
        {
            "cycle": [month("2027-01")] * 4 + [month("2027-02")] * 2,
            "item": "A",
            "location": "DC",
            "period": [month(m) for m in ("2027-02", "2027-04") * 2 + ("2027-03",) * 2],
            "layer": ["statistical"] * 2 + ["consensus"] * 2 + ["statistical", "consensus"],
            "quantity": [16.0, 12.0, 18.0, 9.0, 12.0, 15.0],
        }
    )
    contributions = pd.DataFrame(
        {
            "cycle": month("2027-01"),
            "item": "A",
            "location": "DC",
            "period": [month("2027-02"), month("2027-04")],
            "author": "dora",
            "change": [2.0, -3.0],
        }
    )
    supply_plan = pd.DataFrame(
        {
            "cycle": month("2027-01"),
            "item": "A",
            "location": ["DC", "PL", "DC"],
            "period": [month("2027-01"), month("2027-01"), month("2027-02")],
            "demand": [10.0, 0.0, 20.0],
            "production": [0.0, 12.0, 0.0],
            "backlog": [1.0, 0.0, 0.0],
            "lost_sales": [0.0, 0.0, 0.0],
            "end_inventory": [30.0, 6.0, 25.0],
        }
    )
    capacity_plan = pd.DataFrame(
        {
            "cycle": [month("2027-01")] * 2 + [month("2027-02")],
            "resource": ["M1", "SUP", "M1"],
            "kind": ["machine", "supplier", "machine"],
            "period": [month("2027-01"), month("2027-01"), month("2027-02")],
            "capacity": [100.0, 50.0, 100.0],
            "used": [60.0, 50.0, 80.0],
        }
    )
    lines = pd.DataFrame(
        {
            "cycle": month("2027-01"),
            "item": "A",
            "location": "DC",
            "period": [month(m) for m in ("2027-01", "2027-02", "2027-03", "2027-04")],
            "cogs": [60.0, 120.0, 90.0, 60.0],
            "inventory_value": [30.0, 60.0, 30.0, 30.0],
            "standard_cost_per_unit": 6.0,
        }
    )
    return TrendInputs(
        cycles=cycles,
        sales=sales,
        layers=layers,
        contributions=contributions,
        supply_plan=supply_plan,
        capacity_plan=capacity_plan,
        finance_lines=lines,
        working_capital=pd.DataFrame(
            {
                "cycle": month("2027-01"),
                "period": [month("2027-01"), month("2027-02")],
                "working_capital": [500.0, 700.0],
            }
        ),
        budget=pd.DataFrame(
            {
                "cycle": month("2027-01"),
                "family": ["F", "G", "F"],
                "period": [month("2027-01"), month("2027-01"), month("2027-02")],
                "budget_margin": [25.0, 10.0, 99.0],
            }
        ),
        production=pd.DataFrame(
            {
                "item": ["A", "B"],
                "location": "PL",
                "period": month("2027-01"),
                "quantity": [9.0, 1.0],
            }
        ),
        routings=pd.DataFrame(
            {
                "item": ["A", "B", "A"],
                "location": "PL",
                "resource": ["M1", "M1", "SUP"],
                "usage_per_unit": [5.0, 10.0, 1.0],
            }
        ),
    )


def figure(trend: pd.DataFrame, cycle: str, kpi: str, layer: str = "", lag: int | None = None):
    rows = trend[(trend["cycle"] == cycle) & (trend["kpi"] == kpi) & (trend["layer"] == layer)]
    rows = rows[rows["lag"].isna()] if lag is None else rows[rows["lag"] == lag]
    assert len(rows) == 1, (cycle, kpi, layer, lag, rows)
    return rows.iloc[0]


@pytest.fixture(scope="module")
def trend() -> pd.DataFrame:
    return kpi_trend(fixture())


GOLDEN_FIRST_CYCLE = [
    # lag 1 (2027-02, actual 20): statistical 16, consensus 18, naive 10
    ("forecast_wape", "statistical", 1, 4 / 20),
    ("forecast_bias", "statistical", 1, -4 / 20),
    ("forecast_mape", "statistical", 1, 4 / 20),
    ("forecast_wape", "consensus", 1, 2 / 20),
    ("forecast_bias", "consensus", 1, -2 / 20),
    # lag 3 (2027-04, actual 10): statistical 12, consensus 9, naive 10
    ("forecast_wape", "statistical", 3, 2 / 10),
    ("forecast_bias", "statistical", 3, 2 / 10),
    ("forecast_wape", "consensus", 3, 1 / 10),
    ("forecast_bias", "consensus", 3, -1 / 10),
    # value added: WAPE before less WAPE after
    ("value_added", "statistical", 1, 10 / 20 - 4 / 20),
    ("value_added", "consensus", 1, 4 / 20 - 2 / 20),
    ("value_added", "statistical", 3, 0 / 10 - 2 / 10),
    ("value_added", "consensus", 3, 2 / 10 - 1 / 10),
    # dora's +2 and -3: the consensus without them is the statistical forecast
    ("value_added_by_author", "dora", 1, 4 / 20 - 2 / 20),
    ("value_added_by_author", "dora", 3, 2 / 10 - 1 / 10),
    # demand 10, backlog 1 at month end: one unit of ten late
    ("on_time_delivery", "", None, 0.9),
    # planned A 12, made A 9 and B 1: 1 - (3 + 1) / 12
    ("production_adherence", "", None, 1 - 4 / 12),
    # 9 A x 5 h + 1 B x 10 h on M1 over its 100 h (the supplier's units are not hours)
    ("capacity_utilisation", "", None, 55 / 100),
    # cost of goods 60 + 120 + 90 in three months, a year's worth, over stock (30+60+30)/3
    ("inventory_turns", "", None, 4 * 270 / 40),
    # stock 30 + 6 at the end of January over its demand of 10 per 365.25 / 12 days
    ("days_of_supply", "", None, 36 / (10 / (365.25 / 12))),
    # January's sales: revenue 100 less 10 units at 6; budget 25 + 10
    ("gross_margin", "", None, 40.0),
    ("gross_margin_vs_budget", "", None, 5.0),
    ("working_capital", "", None, 500.0),
    ("sop_cycle_time", "", None, 16.0),
]


@pytest.mark.parametrize(("kpi", "layer", "lag", "expected"), GOLDEN_FIRST_CYCLE)
def test_the_first_cycle_matches_the_hand_computed_figures(
    trend: pd.DataFrame, kpi: str, layer: str, lag: int | None, expected: float
) -> None:
    row = figure(trend, "2027-01", kpi, layer, lag)
    assert row["value"] == pytest.approx(expected)
    assert row["unit"] == KPI_UNITS[kpi]


def test_bases_say_where_each_figure_comes_from(trend: pd.DataFrame) -> None:
    assert figure(trend, "2027-01", "forecast_wape", "consensus", 1)["basis"] == "actual"
    assert figure(trend, "2027-01", "on_time_delivery")["basis"] == "plan"
    assert figure(trend, "2027-01", "production_adherence")["basis"] == "actual"
    assert figure(trend, "2027-01", "sop_cycle_time")["basis"] == "record"


def test_the_second_cycle_says_what_is_pending_missing_or_planned(trend: pd.DataFrame) -> None:
    # lag 1 is 2027-03 (actual 15): statistical 12, consensus 15, naive 10
    assert figure(trend, "2027-02", "forecast_wape", "statistical", 1)["value"] == pytest.approx(
        3 / 15
    )
    assert figure(trend, "2027-02", "value_added", "statistical", 1)["value"] == pytest.approx(
        5 / 15 - 3 / 15
    )
    assert figure(trend, "2027-02", "value_added", "consensus", 1)["value"] == pytest.approx(0.2)
    lag3 = figure(trend, "2027-02", "forecast_wape", "consensus", 3)
    assert lag3["basis"] == "pending" and math.isnan(lag3["value"])
    assert "2027-05" in lag3["note"]
    adherence = figure(trend, "2027-02", "production_adherence")
    assert adherence["basis"] == "missing" and "production_actuals" in adherence["note"]
    utilisation = figure(trend, "2027-02", "capacity_utilisation")
    assert (utilisation["basis"], utilisation["value"]) == ("plan", pytest.approx(0.8))
    for kpi in ("on_time_delivery", "gross_margin", "working_capital", "sop_cycle_time"):
        assert figure(trend, "2027-02", kpi)["basis"] == "missing", kpi


def test_the_frame_is_long_with_its_documented_columns(trend: pd.DataFrame) -> None:
    assert list(trend.columns) == TREND_COLUMNS
    assert trend["cycle"].tolist() == sorted(trend["cycle"])
    assert set(trend["kpi"]) == set(KPI_UNITS)
    assert str(trend["lag"].dtype) == "Int64"


def test_the_table_has_one_column_per_cycle(trend: pd.DataFrame) -> None:
    table = trend_table(trend)
    assert list(table.columns) == ["kpi", "layer", "lag", "unit", "2027-01", "2027-02"]
    row = table[(table["kpi"] == "forecast_wape") & (table["layer"] == "consensus")]
    assert row[row["lag"] == "1"]["2027-01"].iloc[0] == pytest.approx(0.1)


def test_a_frame_without_its_columns_is_refused_by_name() -> None:
    inputs = fixture()
    bad = TrendInputs(cycles=inputs.cycles.drop(columns="released_at"), sales=inputs.sales)
    with pytest.raises(InputError, match="released_at"):
        kpi_trend(bad)
