"""The totals of a diff add up only what adds up: quantities and money, not prices, shares,
shadow prices, days of supply or month-end positions; a roll-up is totalled over one level."""

from __future__ import annotations

import pandas as pd
import pytest

from oneplan.engines.diff import additive, diff_frame_sets, diff_frames

MONTHS = pd.to_datetime(["2027-01-01", "2027-02-01"])


def test_totals_leave_out_columns_that_do_not_add_up() -> None:
    capacity = pd.DataFrame(
        {
            "resource": ["P1", "P1"],
            "period": MONTHS,
            "capacity": [100.0, 100.0],
            "used": [80.0, 100.0],
            "utilisation": [0.8, 1.0],
            "shadow_price": [0.0, 12.5],
        }
    )
    later = capacity.assign(used=[90.0, 100.0], utilisation=[0.9, 1.0], shadow_price=[0.0, 20.0])
    found = diff_frames(capacity, later, ["resource", "period"], "capacity_plan")
    totals = found.totals.set_index("column")
    assert list(totals.index) == ["capacity", "used"]
    assert totals.loc["used", "change"] == pytest.approx(10.0)
    # the row by row changes still show every column, prices and shares included
    assert found.changed["shadow_price_change"].tolist() == [0.0, 7.5]


def test_totals_of_a_supply_and_a_financial_plan() -> None:
    plan = pd.DataFrame(
        {
            "item": ["A", "A"],
            "location": ["P1", "P1"],
            "period": MONTHS,
            "demand": [10.0, 12.0],
            "production": [11.0, 12.0],
            "end_inventory": [1.0, 1.0],
            "backlog": [0.0, 0.0],
            "days_of_supply": [3.0, 2.5],
            "price": [9.5, 9.5],
            "revenue": [95.0, 114.0],
            "margin_pct": [0.4, 0.4],
            "unit_material_cost": [4.0, 4.0],
            "cumulative_cash_flow": [10.0, 30.0],
            "baseline_lo_80": [8.0, 9.0],
        }
    )
    found = diff_frames(plan, plan.assign(production=[12.0, 12.0]), ["item", "location", "period"])
    assert found.totals["column"].tolist() == ["demand", "production", "revenue"]


def test_which_columns_add_up() -> None:
    for column in ("quantity", "production", "value", "revenue", "cogs", "hires", "price_effect"):
        assert additive(column), column
    for column in (
        "shadow_price",
        "price",
        "marginal_cost",
        "utilisation",
        "margin_pct",
        "days_of_supply",
        "standard_cost_per_unit",
        "unit_labour_cost",
        "wape",
        "safety_stock",
        "end_inventory",
        "working_capital",
        "workforce",
        "rank",
    ):
        assert not additive(column), column
    assert additive("value") and not additive("value", "overrides_applied")


def test_a_rollup_is_totalled_over_one_level() -> None:
    rows = []
    for quantity, member_a, member_b in ((30.0, 10.0, 20.0), (36.0, 12.0, 24.0)):
        rows.append({"level": "total", "member": "", "quantity": quantity})
        rows.append({"level": "family", "member": "F1", "quantity": member_a})
        rows.append({"level": "family", "member": "F2", "quantity": member_b})
    a = pd.DataFrame(rows[:3]).assign(period=MONTHS[0])
    b = pd.DataFrame(rows[3:]).assign(period=MONTHS[0])
    found = diff_frame_sets({"rollup": a}, {"rollup": b})["rollup"]
    totals = found.totals.set_index("column")
    assert (totals.loc["quantity", "a"], totals.loc["quantity", "b"]) == (30.0, 36.0)
    assert found.totals_over == "level total"
