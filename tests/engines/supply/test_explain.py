"""Explanations checked against values worked out by hand."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from oneplan.engines.supply import problem_from_tables, solve_supply

MONTHS = ["2027-01", "2027-02", "2027-03"]


def bottleneck_tables() -> dict[str, pd.DataFrame]:
    """Item A needs 1 hour on press M (100 h/month) and 0.5 h on lathe L (1,000 h/month).
    Demand 50 / 200 / 0; material 10, holding 1 and backlog 4 per unit per month.
    Item C has no routing and loses sales because they cost less (1) than material (10).
    Backlog must be cleared by the end of March."""
    return {
        "parameters": pd.DataFrame(
            {"name": ["currency", "zero_ending_backlog"], "value": ["EUR", "true"]}
        ),
        "demand": pd.DataFrame(
            {
                "item": ["A"] * 3 + ["C"] * 3,
                "location": "P",
                "period": MONTHS * 2,
                "quantity": [50, 200, 0, 5, 5, 5],
            }
        ),
        "resources": pd.DataFrame(
            {
                "code": ["M", "L"],
                "kind": "machine",
                "location": "P",
                "capacity_per_period": [100.0, 1000.0],
            }
        ),
        "routings": pd.DataFrame(
            {
                "item": ["A", "A"],
                "location": "P",
                "resource": ["M", "L"],
                "usage_per_unit": [1.0, 0.5],
            }
        ),
        "item_costs": pd.DataFrame(
            {
                "item": ["A", "C"],
                "location": "P",
                "valid_from": "2027-01",
                "material_cost": 10.0,
                "holding_cost": 1.0,
                "backlog_cost": [4.0, 50.0],
                "lost_sales_cost": [None, 1.0],
            }
        ),
    }


@pytest.fixture(scope="module")
def plan():  # type: ignore[no-untyped-def]
    return solve_supply(problem_from_tables(bottleneck_tables(), MONTHS))


def test_hand_computed_plan(plan) -> None:  # type: ignore[no-untyped-def]
    a = plan.plan[plan.plan["item"] == "A"]
    # Build 100 / 100 / 50: 50 held from January, 50 late in February, caught up in March.
    assert a["production"].tolist() == pytest.approx([100, 100, 50])
    assert a["end_inventory"].tolist() == pytest.approx([50, 0, 0])
    assert a["backlog"].tolist() == pytest.approx([0, 50, 0])
    # 10*250 + 1*50 + 4*50 + C's 15 lost sales at 1
    assert plan.objective_value == pytest.approx(2765.0)


def test_shadow_price_of_the_bottleneck(plan) -> None:  # type: ignore[no-untyped-def]
    util = plan.utilisation.set_index(["resource", "period"])
    press = util.loc["M"]
    assert press["utilisation"].tolist() == pytest.approx([1.0, 1.0, 0.5])
    # February: one more hour turns one unit of backlog (4) into on-time supply; material
    # moves from March to February at the same price.  January: the same unit, but held one
    # month (1) first: 4 - 1 = 3.  March has spare hours: 0.
    assert press["shadow_price"].tolist() == pytest.approx([3.0, 4.0, 0.0])
    assert util.loc["L", "shadow_price"].tolist() == pytest.approx([0.0, 0.0, 0.0])
    binding = plan.binding_constraints
    row = binding[binding["name"] == "capacity[M, 2027-02]"].iloc[0]
    assert row["shadow_price"] == pytest.approx(4.0)
    assert row["meaning"] == "one more hour on M in 2027-02 is worth 4.00 EUR"
    assert set(binding.loc[binding["constraint"] == "capacity", "resource"]) == {"M"}


def test_unmet_demand_is_attributed_to_the_bottleneck(plan) -> None:  # type: ignore[no-untyped-def]
    unmet = plan.unmet_demand.set_index("item")
    a = unmet.loc["A"]
    assert a["period"] == pd.Timestamp("2027-02-01")
    assert a["backlog"] == pytest.approx(50.0)
    assert a["cause"] == "capacity"
    assert a["resource"] == "M"
    assert a["shadow_price"] == pytest.approx(4.0)
    c = unmet.loc["C"]
    assert c["lost_sales"].tolist() == pytest.approx([5.0, 5.0, 5.0])
    assert (c["cause"] == "no capacity defined").all()


def test_marginal_cost_of_supply(plan) -> None:  # type: ignore[no-untyped-def]
    mc = plan.marginal_cost[plan.marginal_cost["item"] == "A"]["marginal_cost"]
    # March: build it (10).  February: it waits a month and is built in March (10 + 4).
    # January: take a unit held for February (saving 1 holding), February then waits: 14 - 1.
    assert mc.tolist() == pytest.approx([13.0, 14.0, 10.0])
    c = plan.marginal_cost[plan.marginal_cost["item"] == "C"]["marginal_cost"]
    # C's lost sales sit at their limit (all of demand), so the dual is degenerate: any value
    # between losing one sale less (1) and building one more (10) is a valid price.
    assert ((c >= 1.0 - 1e-9) & (c <= 10.0 + 1e-9)).all()


def test_unconstrained_plan_shows_the_gap(plan) -> None:  # type: ignore[no-untyped-def]
    free = solve_supply(problem_from_tables(bottleneck_tables(), MONTHS), unconstrained=True)
    a = free.plan[free.plan["item"] == "A"]
    assert a["production"].tolist() == pytest.approx([50, 200, 0])
    assert free.objective_value == pytest.approx(2515.0)
    assert free.binding_constraints["constraint"].ne("capacity").all()


def test_integer_plans_name_the_full_resource_without_duals() -> None:
    sys.path.insert(0, str(Path(__file__).parent))
    from test_textbook import red_tomato_tables

    tables = red_tomato_tables()
    plan = solve_supply(problem_from_tables(tables), integer_workforce=True)
    unmet = plan.unmet_demand
    assert len(unmet) and (unmet["cause"] == "capacity").all()
    assert (unmet["resource"] == "assembly").all()
    assert unmet["shadow_price"].isna().all()
    assert plan.marginal_cost["marginal_cost"].isna().all()
    assert np.isnan(plan.utilisation["shadow_price"]).all()


def test_unconstrained_shortages_are_not_blamed_on_capacity() -> None:
    tables = bottleneck_tables()
    tables["item_costs"]["lost_sales_cost"] = [2.0, 1.0]  # losing A is cheaper than making it
    free = solve_supply(problem_from_tables(tables, MONTHS), unconstrained=True)
    assert len(free.unmet_demand)
    assert (free.unmet_demand["cause"] != "capacity").all()
    assert free.unmet_demand["resource"].isna().all()


def test_relaxation_penalty_is_not_the_value_of_a_limit() -> None:
    sys.path.insert(0, str(Path(__file__).parent))
    from test_textbook import red_tomato_tables

    plan = solve_supply(problem_from_tables(red_tomato_tables()))
    binding = plan.binding_constraints
    # The backlog must be zero at the end; its dual is the penalty the relaxation would pay.
    end = binding[binding["constraint"] == "ending_backlog"].iloc[0]
    assert end["shadow_price"] == pytest.approx(1e6)
    assert end["degenerate"] and not end["relaxed"]
    assert "not a business value" in end["meaning"]
    assert binding.index[binding["constraint"] == "ending_backlog"][0] == len(binding) - 1
    # Labour hours come first, by money value; none of them is penalty-driven.
    labour = binding[binding["constraint"] == "labour_hours"]
    assert labour.index.tolist() == list(range(len(labour)))
    assert (labour["shadow_price"].diff().dropna() <= 0).all()
    assert not labour["degenerate"].any() and labour["capacity"].all()


def ranked_tables() -> dict[str, pd.DataFrame]:
    """One month. A needs 50 hours of press M (5 h) for its minimum stock, so M is relaxed.
    B needs 150 hours of lathe L (100 h); its 50 units short stay open at the end, worth
    backlog 3 + standard cost 1 + backlog 3 = 7 each, so an hour on L is worth 7 - 1 = 6.
    Idle crew K: 5 people, at least 3 kept; a fourth costs 2 x 100 in wages less the 10
    layoff it saves, -190."""
    return {
        "demand": pd.DataFrame(
            {"item": ["A", "B"], "location": "P", "period": "2027-01", "quantity": [0.0, 150.0]}
        ),
        "resources": pd.DataFrame(
            {
                "code": ["M", "L", "K"],
                "kind": ["machine", "machine", "labour"],
                "location": "P",
                "capacity_per_period": [5.0, 100.0, 0.0],
            }
        ),
        "routings": pd.DataFrame(
            {
                "item": ["A", "B"],
                "location": "P",
                "resource": ["M", "L"],
                "usage_per_unit": [0.5, 1],
            }
        ),
        "workforce": pd.DataFrame(
            {
                "resource": ["K"],
                "headcount": [5.0],
                "hours_per_worker": [100.0],
                "regular_wage": [2.0],
                "overtime_wage": [3.0],
                "overtime_limit_per_worker": [0.0],
                "hiring_cost": [10.0],
                "layoff_cost": [10.0],
                "min_headcount": [3.0],
            }
        ),
        "item_costs": pd.DataFrame(
            {
                "item": ["A", "B"],
                "location": "P",
                "valid_from": "2027-01",
                "material_cost": 1.0,
                "holding_cost": 0.5,
                "backlog_cost": 3.0,
            }
        ),
        "inventory_policies": pd.DataFrame(
            {"item": ["A"], "location": "P", "method": "fixed", "safety_stock": 0.0}
            | {"min_inventory": [100.0], "max_inventory": [float("nan")]}
        ),
    }


def test_capacity_is_ranked_first_and_relaxed_rows_last() -> None:
    plan = solve_supply(problem_from_tables(ranked_tables(), ["2027-01"]))
    assert plan.relaxations["constraint"].tolist() == ["capacity"]
    binding = plan.binding_constraints.set_index("name")
    assert binding.index[0] == "capacity[L, 2027-01]"
    assert binding.loc["capacity[L, 2027-01]", "shadow_price"] == pytest.approx(6.0)
    head = binding.loc["min_headcount[K, 2027-01]"]
    assert head["shadow_price"] == pytest.approx(-190.0) and not head["degenerate"]
    assert binding.index[1] == "min_headcount[K, 2027-01]"  # after capacity, though larger
    press = binding.loc["capacity[M, 2027-01]"]
    assert press["relaxed"] and press["degenerate"]
    assert press["shadow_price"] == pytest.approx(1e6)
    # The minimum stock competes with the relaxed press: half a penalty an hour, an artefact.
    stock = binding.loc["min_inventory[A@P, 2027-01]"]
    assert abs(stock["shadow_price"]) > 4e5 and stock["degenerate"] and not stock["relaxed"]
    assert not binding.iloc[:2]["degenerate"].any() and binding.iloc[2:]["degenerate"].all()
    util = plan.utilisation.set_index("resource")
    assert util.loc["M", "degenerate"] and not util.loc["L", "degenerate"]


def test_marginal_cost_driven_by_a_relaxation_is_flagged() -> None:
    plan = solve_supply(problem_from_tables(ranked_tables(), ["2027-01"]))
    cost = plan.marginal_cost.set_index("item")
    # One more unit of A needs press hours that are already short: the penalty prices it.
    assert cost.loc["A", "marginal_cost"] > 1e5 and cost.loc["A", "degenerate"]
    # One more unit of B stays open at the end: backlog 3 + standard cost 1 + backlog 3.
    assert cost.loc["B", "marginal_cost"] == pytest.approx(7.0)
    assert not cost.loc["B", "degenerate"]


MONEY = ["material_cost", "holding_cost", "backlog_cost", "lost_sales_cost"]


def in_big_money(tables: dict[str, pd.DataFrame], factor: float) -> dict[str, pd.DataFrame]:
    """The same problem with every amount of money multiplied by ``factor``."""
    costs = tables["item_costs"].copy()
    costs[MONEY] = costs[MONEY].astype(float) * factor
    return {**tables, "item_costs": costs}


def test_real_prices_in_big_money_are_not_mistaken_for_the_penalty() -> None:
    # Costs in plain currency (an engine maker's): the press's prices become 300,000 and
    # 400,000 an hour. The relaxation penalty follows the problem's own cost scale, so the
    # plan is the same, every price scales by 100,000 and none of them is flagged.
    small = solve_supply(problem_from_tables(bottleneck_tables(), MONTHS))
    problem = problem_from_tables(in_big_money(bottleneck_tables(), 1e5), MONTHS)
    assert problem.relaxation_penalty >= 1e4 * 5e6  # far above C's backlog cost, 5,000,000
    big = solve_supply(problem)
    assert big.plan["production"].tolist() == pytest.approx(small.plan["production"].tolist())
    press = big.utilisation.set_index(["resource", "period"]).loc["M"]
    assert press["shadow_price"].tolist() == pytest.approx([3e5, 4e5, 0.0])
    assert not press["degenerate"].any()
    binding = big.binding_constraints
    capacity = binding[binding["constraint"] == "capacity"]
    assert len(capacity) == 2 and not capacity["degenerate"].any()
    assert not capacity["meaning"].str.contains("relaxation penalty").any()
    costs = big.marginal_cost[big.marginal_cost["item"] == "A"]
    assert costs["marginal_cost"].tolist() == pytest.approx([13e5, 14e5, 10e5])
    assert not costs["degenerate"].any()


def test_a_given_relaxation_penalty_is_kept() -> None:
    tables = bottleneck_tables()
    tables["parameters"] = pd.concat(
        [tables["parameters"], pd.DataFrame({"name": ["relaxation_penalty"], "value": ["5e7"]})]
    )
    assert problem_from_tables(tables, MONTHS).relaxation_penalty == 5e7
    assert problem_from_tables(bottleneck_tables(), MONTHS).relaxation_penalty == 1e6


def test_only_prices_that_move_with_the_penalty_are_flagged() -> None:
    # The ranked case with a ten times larger penalty: the flagged prices move with it, the
    # lathe's hour (6) and the crew's minimum (-190) do not.
    tables = ranked_tables()
    tables["parameters"] = pd.DataFrame({"name": ["relaxation_penalty"], "value": ["1e7"]})
    plan = solve_supply(problem_from_tables(tables, ["2027-01"]))
    binding = plan.binding_constraints.set_index("name")
    assert binding.loc["capacity[L, 2027-01]", "shadow_price"] == pytest.approx(6.0)
    assert binding.loc["min_headcount[K, 2027-01]", "shadow_price"] == pytest.approx(-190.0)
    assert binding.loc["capacity[M, 2027-01]", "shadow_price"] == pytest.approx(1e7)
    stock = binding.loc["min_inventory[A@P, 2027-01]"]
    assert abs(stock["shadow_price"]) > 4e6 and stock["degenerate"]
    flagged = binding.index[binding["degenerate"]]
    assert set(flagged) == {"capacity[M, 2027-01]", "min_inventory[A@P, 2027-01]"}
