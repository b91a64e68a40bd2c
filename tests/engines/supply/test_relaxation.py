"""Impossible inputs end in a plan that lists what had to give, never in an exception."""

from __future__ import annotations

import pandas as pd
import pytest

from oneplan.engines.supply import problem_from_tables, solve_supply

MONTH = ["2027-01"]
PENALTY = 1.0e6


def one_item(
    *, usage: float, capacity: float, demand: float = 0.0, **policy: float
) -> dict[str, pd.DataFrame]:
    """One item made on one machine in one month, with the given inventory policy."""
    return {
        "demand": pd.DataFrame(
            {"item": ["A"], "location": ["P"], "period": MONTH, "quantity": [demand]}
        ),
        "resources": pd.DataFrame(
            {
                "code": ["M"],
                "kind": ["machine"],
                "location": ["P"],
                "capacity_per_period": [capacity],
            }
        ),
        "routings": pd.DataFrame(
            {"item": ["A"], "location": ["P"], "resource": ["M"], "usage_per_unit": [usage]}
        ),
        "item_costs": pd.DataFrame(
            {
                "item": ["A"],
                "location": ["P"],
                "valid_from": MONTH,
                "material_cost": [1.0],
                "holding_cost": [0.5],
                "backlog_cost": [3.0],
            }
        ),
        "inventory_policies": pd.DataFrame(
            {"item": ["A"], "location": ["P"], **{k: [v] for k, v in policy.items()}}
        ),
    }


def relaxed(tables: dict[str, pd.DataFrame]) -> pd.DataFrame:
    plan = solve_supply(problem_from_tables(tables, MONTH))
    assert plan.status == "optimal"
    assert not plan.relaxations.empty
    return plan.relaxations


def test_capacity_gives_when_a_hard_minimum_needs_more_hours() -> None:
    # 100 units of minimum stock need 50 hours; the machine has 5: 45 hours are borrowed,
    # cheaper than leaving 90 units of the minimum unmet.
    r = relaxed(one_item(usage=0.5, capacity=5.0, min_inventory=100.0))
    assert r["constraint"].tolist() == ["capacity"]
    assert r["resource"].tolist() == ["M"]
    assert r["relaxed_by"].iloc[0] == pytest.approx(45.0)
    assert r["penalty_cost"].iloc[0] == pytest.approx(45.0 * PENALTY)


def test_minimum_inventory_gives_when_it_is_the_cheaper_limit() -> None:
    r = relaxed(one_item(usage=2.0, capacity=20.0, min_inventory=100.0))
    assert r["constraint"].tolist() == ["min_inventory"]
    assert r["item"].tolist() == ["A"]
    assert r["relaxed_by"].iloc[0] == pytest.approx(90.0)
    assert r["limit"].iloc[0] == pytest.approx(100.0)


def test_ending_inventory_target_out_of_reach() -> None:
    r = relaxed(one_item(usage=2.0, capacity=0.0, ending_inventory=50.0))
    assert r["constraint"].tolist() == ["ending_inventory"]
    assert r["relaxed_by"].iloc[0] == pytest.approx(50.0)


def test_maximum_inventory_below_the_ending_target() -> None:
    r = relaxed(one_item(usage=0.1, capacity=1000.0, ending_inventory=80.0, max_inventory=30.0))
    assert set(r["constraint"]) <= {"ending_inventory", "max_inventory"}
    assert r["relaxed_by"].sum() == pytest.approx(50.0)


def test_maximum_backlog_impossible_without_capacity() -> None:
    # No customer may wait, nothing can be made and lost sales are not allowed.
    r = relaxed(one_item(usage=3.0, capacity=0.0, demand=100.0, max_backlog_periods=0))
    assert r["constraint"].tolist() == ["max_backlog"]
    assert r["relaxed_by"].iloc[0] == pytest.approx(100.0)


def test_zero_ending_backlog_impossible() -> None:
    tables = one_item(usage=3.0, capacity=0.0, demand=40.0)
    tables["parameters"] = pd.DataFrame({"name": ["zero_ending_backlog"], "value": ["true"]})
    r = relaxed(tables)
    assert r["constraint"].tolist() == ["ending_backlog"]
    assert r["relaxed_by"].iloc[0] == pytest.approx(40.0)


def crew_tables(**workforce: float) -> dict[str, pd.DataFrame]:
    return {
        "demand": pd.DataFrame(
            {"item": ["A"], "location": ["P"], "period": MONTH, "quantity": [500.0]}
        ),
        "resources": pd.DataFrame(
            {"code": ["CREW"], "kind": ["labour"], "location": ["P"], "capacity_per_period": [0.0]}
        ),
        "routings": pd.DataFrame(
            {"item": ["A"], "location": ["P"], "resource": ["CREW"], "usage_per_unit": [1.0]}
        ),
        "workforce": pd.DataFrame(
            {
                "resource": ["CREW"],
                "headcount": [2.0],
                "hours_per_worker": [100.0],
                "regular_wage": [1.0],
                "overtime_wage": [1.5],
                "overtime_limit_per_worker": [0.0],
                "hiring_cost": [10.0],
                "layoff_cost": [10.0],
                **{k: [v] for k, v in workforce.items()},
            }
        ),
        "item_costs": pd.DataFrame(
            {
                "item": ["A"],
                "location": ["P"],
                "valid_from": MONTH,
                "material_cost": [1.0],
                "holding_cost": [0.5],
                "backlog_cost": [3.0],
            }
        ),
        "inventory_policies": pd.DataFrame(
            {"item": ["A"], "location": ["P"], "max_backlog_periods": [0]}
        ),
    }


def test_maximum_headcount_gives_before_demand_goes_unserved() -> None:
    # 500 hours are needed, 100 per worker, at most 1 worker: 4 more workers must be allowed.
    r = relaxed(crew_tables(max_headcount=1.0))
    assert r["constraint"].tolist() == ["max_headcount"]
    assert r["resource"].tolist() == ["CREW"]
    assert r["relaxed_by"].iloc[0] == pytest.approx(4.0)


def test_contradictory_headcount_bounds() -> None:
    tables = crew_tables(min_headcount=9.0, max_headcount=6.0)
    tables["demand"]["quantity"] = 0.0
    r = relaxed(tables)
    assert set(r["constraint"]) <= {"min_headcount", "max_headcount"}
    assert r["relaxed_by"].sum() == pytest.approx(3.0)


def test_a_plan_without_any_limit_lists_no_relaxation() -> None:
    plan = solve_supply(
        problem_from_tables(one_item(usage=1.0, capacity=100.0, demand=10.0), MONTH)
    )
    assert plan.status == "optimal"
    assert plan.relaxations.empty
    assert list(plan.relaxations.columns) == [
        "constraint",
        "resource",
        "item",
        "location",
        "period",
        "limit",
        "relaxed_by",
        "penalty_cost",
    ]


def test_a_time_limit_is_reported_as_data() -> None:
    plan = solve_supply(
        problem_from_tables(one_item(usage=1.0, capacity=100.0, demand=10.0), MONTH), time_limit=0.0
    )
    assert plan.status in {"time_limit", "optimal"}
    if plan.status == "time_limit" and not plan.has_plan:
        assert pd.isna(plan.objective_value)
