"""The financial plan against a 2-item, 2-month case computed by hand."""

from __future__ import annotations

import pandas as pd
import pytest

from oneplan.engines.finance import financial_plan
from oneplan.errors import InputError

APR, MAY = pd.Timestamp("2027-04-01"), pd.Timestamp("2027-05-01")


def _inputs() -> dict[str, pd.DataFrame]:
    demand = pd.DataFrame(
        {
            "item": ["A", "A", "B", "B"],
            "location": "P1",
            "period": ["2027-04", "2027-05", "2027-04", "2027-05"],
            "quantity": [100.0, 120.0, 50.0, 40.0],
        }
    )
    supply = pd.DataFrame(
        {
            "item": ["A", "A", "B", "B"],
            "location": "P1",
            "period": ["2027-04-01", "2027-05-01", "2027-04-01", "2027-05-01"],
            "production": [110.0, 100.0, 40.0, 45.0],
            "end_inventory": [30.0, 10.0, 0.0, 0.0],
            "backlog": [0.0, 0.0, 10.0, 0.0],
            "lost_sales": [0.0, 0.0, 0.0, 5.0],
        }
    )
    items = pd.DataFrame({"code": ["A", "B"], "family": ["F", "G"], "uom": "pcs"})
    families = pd.DataFrame({"code": ["F", "G"], "category": ["C1", "C1"]})
    costs = pd.DataFrame(
        {
            "item": ["A", "A", "B"],
            "location": "P1",
            "valid_from": ["2027-01-01", "2027-05-01", "2027-01-01"],
            "material_cost": [4.0, 5.0, 10.0],
            "labour_cost": [2.0, 2.0, 5.0],
            "overhead_cost": [1.0, 1.0, 5.0],
            "holding_cost": [0.5, 0.5, 1.0],
        }
    )
    prices = pd.DataFrame(
        {
            "item": ["A", "A", "B"],
            "channel": "all",
            "valid_from": ["2027-01-01", "2027-05-01", "2026-01-01"],
            "price": [10.0, 11.0, 40.0],
        }
    )
    supply_costs = pd.DataFrame(
        {
            "location": "P1",
            "period": ["2027-04-01", "2027-05-01"],
            "overtime_cost": [50.0, 0.0],
            "hiring_cost": [20.0, 0.0],
            "layoff_cost": [0.0, 30.0],
            "holding_cost": [0.0, 15.0],
        }
    )
    return {
        "demand": demand,
        "supply": supply,
        "items": items,
        "families": families,
        "costs": costs,
        "prices": prices,
        "supply_costs": supply_costs,
    }


def _line(lines: pd.DataFrame, item: str, period: pd.Timestamp) -> pd.Series:
    return lines[(lines["item"] == item) & (lines["period"] == period)].iloc[0]


def test_two_items_two_months_by_hand() -> None:
    data = _inputs()
    plan = financial_plan(
        data["demand"],
        data["supply"],
        data["items"],
        data["costs"],
        data["prices"],
        supply_costs=data["supply_costs"],
        families=data["families"],
        opening_working_capital=3000.0,
    )
    lines = plan.lines
    a_apr, a_may = _line(lines, "A", APR), _line(lines, "A", MAY)
    b_apr, b_may = _line(lines, "B", APR), _line(lines, "B", MAY)
    # shipped = demand + backlog before - backlog after - lost sales
    assert [a_apr.shipped_quantity, a_may.shipped_quantity] == [100.0, 120.0]
    assert [b_apr.shipped_quantity, b_may.shipped_quantity] == [40.0, 45.0]
    assert (a_apr.family, a_apr.category) == ("F", "C1")
    # A in May: new cost (5 + 2 + 1) and new price (11) from their valid_from
    assert [a_apr.revenue, a_apr.cogs, a_apr.gross_margin] == pytest.approx([1000, 700, 300])
    assert [a_may.revenue, a_may.cogs, a_may.gross_margin] == pytest.approx([1320, 960, 360])
    assert [b_apr.revenue, b_apr.cogs, b_may.revenue, b_may.cogs] == pytest.approx(
        [1600, 800, 1800, 900]
    )
    assert a_apr.margin_pct == pytest.approx(0.3)
    # variable costing: overhead on production (110) instead of shipments (100)
    assert a_apr.variable_cost == pytest.approx(600)
    assert a_apr.overhead_period_cost == pytest.approx(110)
    assert a_apr.variable_costing_margin == pytest.approx(290)
    # working capital, DSO 45 and DPO 30 over calendar days (April 30, May 31)
    assert a_apr.inventory_value == pytest.approx(30 * 7)
    assert a_apr.receivables == pytest.approx(1000 * 45 / 30)
    assert a_apr.payables == pytest.approx(4 * 110 * 30 / 30)
    assert a_apr.working_capital == pytest.approx(1500 + 210 - 440)
    assert a_may.inventory_value == pytest.approx(10 * 8)
    assert a_may.payables == pytest.approx(5 * 100 * 30 / 31)

    wc = plan.working_capital.set_index("period")
    wc_apr = 1270 + (1600 * 45 / 30 - 400)
    wc_may = (1320 * 45 / 31 + 80 - 500 * 30 / 31) + (1800 * 45 / 31 - 450 * 30 / 31)
    assert wc.loc[APR, "working_capital"] == pytest.approx(wc_apr)
    assert wc.loc[MAY, "working_capital"] == pytest.approx(wc_may)
    assert wc.loc[APR, "change_in_working_capital"] == pytest.approx(wc_apr - 3000)

    cash = plan.cash_flow.set_index("period")
    assert cash.loc[APR, "period_costs"] == pytest.approx(70)
    assert cash.loc[MAY, "period_costs"] == pytest.approx(45)
    assert cash.loc[APR, "operating_cash_flow"] == pytest.approx(1100 - 70 - (wc_apr - 3000))
    assert cash.loc[MAY, "operating_cash_flow"] == pytest.approx(1260 - 45 - (wc_may - wc_apr))
    assert cash["cumulative_cash_flow"].iloc[-1] == pytest.approx(cash["operating_cash_flow"].sum())
    assert plan.gaps.empty


def test_channels_share_shipments_and_fall_back_to_list_price() -> None:
    data = _inputs()
    demand = pd.DataFrame(
        {
            "item": "A",
            "location": "P1",
            "period": "2027-04",
            "channel": ["retail", "online"],
            "quantity": [60.0, 40.0],
        }
    )
    supply = data["supply"].iloc[:1].assign(backlog=20.0, end_inventory=0.0)
    prices = pd.concat(
        [
            data["prices"],
            pd.DataFrame(
                {"item": ["A"], "channel": ["retail"], "valid_from": ["2027-01"], "price": [9.0]}
            ),
        ]
    )
    plan = financial_plan(demand, supply, data["items"], data["costs"], prices)
    # 80 shipped of 100 ordered: retail 48 at 9, online 32 at the list price 10
    by_channel = plan.channel_lines.set_index("channel")
    assert by_channel.loc["retail", "shipped_quantity"] == pytest.approx(48)
    assert by_channel.loc["online", "price"] == pytest.approx(10)
    assert plan.lines["revenue"].iloc[0] == pytest.approx(48 * 9 + 32 * 10)
    assert plan.lines["price"].iloc[0] == pytest.approx((48 * 9 + 32 * 10) / 80)


def test_subcontracting_above_standard_is_a_period_cost() -> None:
    data = _inputs()
    supply = data["supply"].assign(subcontract=[10.0, 0.0, 0.0, 0.0])
    costs = data["costs"].assign(subcontract_cost=[9.0, 9.0, None])
    plan = financial_plan(data["demand"], supply, data["items"], costs, data["prices"])
    april = plan.period_costs.set_index("period").loc[APR]
    assert april["subcontract_cost"] == pytest.approx(90)
    assert april["subcontract_premium"] == pytest.approx(90 - 10 * 7)
    # without supply costs, holding is derived: A 30 x 0.5 in April
    assert april["holding_cost"] == pytest.approx(15)
    assert april["total_period_costs"] == pytest.approx(20 + 15)
    a_apr = _line(plan.lines, "A", APR)
    assert a_apr.purchases == pytest.approx(4 * 110 + 90)


def test_missing_price_is_reported_not_fatal() -> None:
    data = _inputs()
    prices = data["prices"][data["prices"]["item"] == "A"]
    plan = financial_plan(data["demand"], data["supply"], data["items"], data["costs"], prices)
    assert set(plan.gaps["item"]) == {"B"}
    assert set(plan.gaps["missing"]) == {"price"}
    assert plan.lines.loc[plan.lines["item"] == "B", "revenue"].sum() == 0


def test_opening_backlog_is_shipped_in_the_first_month() -> None:
    data = _inputs()
    opening = pd.DataFrame({"item": ["A"], "location": ["P1"], "backlog": [15.0]})
    plan = financial_plan(
        data["demand"],
        data["supply"],
        data["items"],
        data["costs"],
        data["prices"],
        opening_backlog=opening,
    )
    assert _line(plan.lines, "A", APR).shipped_quantity == pytest.approx(115)


@pytest.mark.parametrize(
    ("frame", "table", "column"),
    [
        ("demand", "demand", "quantity"),
        ("supply", "supply", "backlog"),
        ("prices", "prices", "price"),
        ("costs", "item_costs", "labour_cost"),
    ],
)
def test_missing_column_is_named(frame: str, table: str, column: str) -> None:
    data = _inputs()
    data[frame] = data[frame].drop(columns=column)
    with pytest.raises(InputError, match=f"^{table}, column {column}: is missing") as error:
        financial_plan(data["demand"], data["supply"], data["items"], data["costs"], data["prices"])
    assert (error.value.problems[0].file, error.value.problems[0].column) == (table, column)


def test_text_in_a_number_column_is_named() -> None:
    data = _inputs()
    data["demand"]["quantity"] = data["demand"]["quantity"].astype(object)
    data["demand"].loc[1, "quantity"] = "lots"
    with pytest.raises(InputError, match="holds 'lots', not a number") as error:
        financial_plan(data["demand"], data["supply"], data["items"], data["costs"], data["prices"])
    problem = error.value.problems[0]
    assert (problem.file, problem.row, problem.column) == ("demand", 1, "quantity")
