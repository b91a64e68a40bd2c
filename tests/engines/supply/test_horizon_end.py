"""At the horizon end open orders and safety stock are valued as if the plan went on.

One item on one press (1 hour a unit); demand 50 / 50 / 150 over three months; material 10,
holding 1 and backlog 2 per unit per month. Valuing an open order at one month of backlog
cost only, the cheapest plan made nothing at all: every order waited to the end, 2 a month
each (50 x 2 x 3 + 50 x 2 x 2 + 150 x 2 = 800), cheaper than material (2,500).
"""

from __future__ import annotations

import pandas as pd
import pytest

from oneplan.engines.supply import problem_from_tables, solve_supply

MONTHS = ["2027-01", "2027-02", "2027-03"]


def press_tables(
    press_hours: float, *, lost_sales_cost: float | None, price: float | None
) -> dict[str, pd.DataFrame]:
    tables = {
        "demand": pd.DataFrame(
            {"item": "A", "location": "P", "period": MONTHS, "quantity": [50.0, 50.0, 150.0]}
        ),
        "resources": pd.DataFrame(
            {"code": ["M"], "kind": "machine", "location": "P", "capacity_per_period": press_hours}
        ),
        "routings": pd.DataFrame(
            {"item": ["A"], "location": "P", "resource": "M", "usage_per_unit": 1.0}
        ),
        "item_costs": pd.DataFrame(
            {
                "item": ["A"],
                "location": "P",
                "valid_from": "2027-01",
                "material_cost": 10.0,
                "holding_cost": 1.0,
                "backlog_cost": 2.0,
                "lost_sales_cost": [lost_sales_cost],
            }
        ),
    }
    if price is not None:
        tables["prices"] = pd.DataFrame(
            {"item": ["A"], "channel": "all", "valid_from": "2027-01", "price": [price]}
        )
    return tables


@pytest.mark.parametrize(
    ("lost_sales_cost", "price"), [(30.0, None), (None, 25.0), (None, None)], ids=str
)
def test_open_orders_at_the_end_are_made_when_capacity_allows(
    lost_sales_cost: float | None, price: float | None
) -> None:
    tables = press_tables(100.0, lost_sales_cost=lost_sales_cost, price=price)
    plan = solve_supply(problem_from_tables(tables, MONTHS))
    assert plan.status == "optimal"
    a = plan.plan
    # Build January's 50, 100 in February (50 held a month for March), 100 in March.
    assert a["production"].tolist() == pytest.approx([50.0, 100.0, 100.0])
    assert a["backlog"].tolist() == pytest.approx([0.0, 0.0, 0.0])
    assert a["lost_sales"].sum() == pytest.approx(0.0)
    assert plan.total_cost == pytest.approx(10 * 250 + 1 * 50)


@pytest.mark.parametrize(
    ("lost_sales_cost", "price", "cost"),
    [
        # 40 units cannot be made: lost in March at 30 each (cheaper than 2 + 30 open).
        (30.0, None, 10 * 210 + 1 * (20 + 40) + 30 * 40),
        # no lost-sales cost: open at the end, March's backlog cost plus the price.
        (None, 25.0, 10 * 210 + 1 * (20 + 40) + (2 + 25) * 40),
        # no price either: March's backlog cost plus standard cost plus one month more.
        (None, None, 10 * 210 + 1 * (20 + 40) + (2 + 10 + 2) * 40),
    ],
    ids=str,
)
def test_what_cannot_be_made_is_valued_by_hand(
    lost_sales_cost: float | None, price: float | None, cost: float
) -> None:
    tables = press_tables(70.0, lost_sales_cost=lost_sales_cost, price=price)
    plan = solve_supply(problem_from_tables(tables, MONTHS))
    a = plan.plan
    assert a["production"].tolist() == pytest.approx([70.0, 70.0, 70.0])
    assert a["end_inventory"].tolist() == pytest.approx([20.0, 40.0, 0.0])
    unmet = a["lost_sales"].sum() + a["backlog"].iloc[-1]
    assert unmet == pytest.approx(40.0)
    assert plan.total_cost == pytest.approx(cost)
    terms = plan.cost_breakdown.set_index("term")["value"]
    open_at_end = 0.0 if lost_sales_cost is not None else cost - 10 * 210 - 60 - 2 * 40
    assert terms["unserved_at_horizon_end"] == pytest.approx(open_at_end)


def test_zero_ending_backlog_keeps_the_hard_limit_instead() -> None:
    tables = press_tables(100.0, lost_sales_cost=None, price=None)
    tables["parameters"] = pd.DataFrame({"name": ["zero_ending_backlog"], "value": ["true"]})
    plan = solve_supply(problem_from_tables(tables, MONTHS))
    assert plan.total_cost == pytest.approx(2550.0)
    terms = plan.cost_breakdown.set_index("term")["value"]
    assert terms["unserved_at_horizon_end"] == 0.0 and plan.relaxations.empty


def test_margin_adds_the_lost_sales_cost_to_the_price_never_earned() -> None:
    # 40 units short; under the margin objective losing them costs price + lost-sales cost
    # either way (in March or open at the end), so the margin is the same.
    tables = press_tables(70.0, lost_sales_cost=5.0, price=25.0)
    plan = solve_supply(problem_from_tables(tables, MONTHS), objective="margin")
    revenue = 25.0 * 210
    assert plan.objective_value == pytest.approx(revenue - (10 * 210 + 60 + 5 * 40))


def test_safety_stock_is_kept_in_the_last_month_when_capacity_allows() -> None:
    """A safety stock of 40 with ample capacity: the plan keeps it to the horizon's end.

    Priced at a month's backlog cost (2) alone, the last month's 40 units were cheaper short
    than made (10 each), and the plan ran its stock down to nothing in March."""
    tables = press_tables(400.0, lost_sales_cost=30.0, price=None)
    tables["inventory_policies"] = pd.DataFrame(
        {"item": ["A"], "location": "P", "method": "fixed", "safety_stock": 40.0}
    )
    plan = solve_supply(problem_from_tables(tables, MONTHS))
    assert plan.status == "optimal"
    a = plan.plan
    assert a["end_inventory"].tolist() == pytest.approx([40.0, 40.0, 40.0])
    assert a["safety_stock_shortfall"].sum() == pytest.approx(0.0)
    assert plan.total_cost == pytest.approx(10 * (250 + 40) + 1 * 40 * 3)
