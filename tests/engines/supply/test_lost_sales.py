"""Lost sales happen only where a lost-sales cost is filled in, under either objective.

One item on one press (1 hour a unit, 60 hours a month), demand 50 / 100 / 50, material 10,
holding 1, backlog 2, price 25: 200 units of demand, 180 hours.
"""

from __future__ import annotations

import pandas as pd
import pytest

from oneplan.engines.supply import problem_from_tables, solve_supply

MONTHS = ["2027-01", "2027-02", "2027-03"]


def tables(lost_sales_cost: float | None, **policy: float) -> dict[str, pd.DataFrame]:
    found = {
        "demand": pd.DataFrame(
            {"item": "A", "location": "P", "period": MONTHS, "quantity": [50.0, 100.0, 50.0]}
        ),
        "resources": pd.DataFrame(
            {"code": ["M"], "kind": "machine", "location": "P", "capacity_per_period": 60.0}
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
        "prices": pd.DataFrame(
            {"item": ["A"], "channel": "all", "valid_from": "2027-01", "price": [25.0]}
        ),
    }
    if policy:
        found["inventory_policies"] = pd.DataFrame(
            {"item": ["A"], "location": ["P"], **{k: [v] for k, v in policy.items()}}
        )
    return found


@pytest.mark.parametrize("objective", ["cost", "margin"])
def test_an_empty_lost_sales_cost_means_the_demand_cannot_be_lost(objective: str) -> None:
    plan = solve_supply(problem_from_tables(tables(None), MONTHS), objective=objective)  # type: ignore[arg-type]
    assert plan.status == "optimal"
    assert plan.plan["lost_sales"].max() < 1e-9
    # 180 hours for 200 units: 20 stay open at the end (owed, never lost in the plan)
    assert plan.plan["backlog"].iloc[-1] == pytest.approx(20.0)
    assert plan.relaxations.empty


@pytest.mark.parametrize("objective", ["cost", "margin"])
def test_a_filled_lost_sales_cost_lets_the_plan_lose_what_it_cannot_make(objective: str) -> None:
    plan = solve_supply(problem_from_tables(tables(30.0), MONTHS), objective=objective)  # type: ignore[arg-type]
    assert plan.plan["lost_sales"].sum() == pytest.approx(20.0)


def test_demand_that_cannot_wait_nor_be_lost_breaks_a_limit_and_says_so() -> None:
    # No backlog allowed (max_backlog_periods 0) and no lost sales: February needs 100, the
    # press gives 60 plus the 10 built in January, so 30 units (or hours) must come from a
    # limit that gives, and the plan lists it.
    plan = solve_supply(problem_from_tables(tables(None, max_backlog_periods=0.0), MONTHS))
    assert plan.plan["lost_sales"].max() < 1e-9
    assert plan.relaxations["relaxed_by"].sum() == pytest.approx(30.0)


def test_no_sale_is_lost_that_nobody_ordered() -> None:
    """A minimum of 100 the press cannot reach in January (60 hours, 50 ordered): the plan
    breaks the minimum and says so. It used to 'lose' sales beyond the orders while still
    owing them all, at 30 a unit, to lift its stock to the minimum for free of capacity."""
    found = tables(30.0, method="fixed", min_inventory=100.0)
    plan = solve_supply(problem_from_tables(found, MONTHS[:1]))
    a = plan.plan.iloc[0]
    assert a["lost_sales"] + a["backlog"] <= a["demand"] + 1e-6
    # A minimum is a hard limit: the 60 made stay on the shelf and the orders wait.
    assert a["end_inventory"] == pytest.approx(60.0)
    assert plan.relaxations["constraint"].tolist() == ["min_inventory"]
    assert plan.relaxations["relaxed_by"].tolist() == pytest.approx([40.0])
