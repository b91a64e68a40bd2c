"""Published aggregate-planning optima, reproduced through the data-package path.

Source: S. Chopra and P. Meindl, *Supply Chain Management: Strategy, Planning, and Operation*
(Pearson), chapter "Aggregate Planning in a Supply Chain", the Red Tomato Tools example:
six months of demand 1,600 / 3,000 / 3,200 / 3,800 / 2,200 / 2,200 tools, 1,000 tools in stock
at the start and at least 500 at the end, no backlog at the end, 80 workers, 20 days x 8 hours
per worker per month at $4/hour regular and $6/hour overtime (at most 10 overtime hours per
worker per month), 4 labour hours and $10 of material per tool, holding $2 and backlog $5 per
tool per month, hiring $300 and layoff $500 per worker, subcontracting $30 per tool.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from oneplan.engines.supply import problem_from_tables, solve_supply

MONTHS = ["2027-01", "2027-02", "2027-03", "2027-04", "2027-05", "2027-06"]
DEMAND = [1600, 3000, 3200, 3800, 2200, 2200]


def red_tomato_tables(price: float | None = None) -> dict[str, pd.DataFrame]:
    """The Red Tomato Tools problem as data-package tables."""
    tables = {
        "parameters": pd.DataFrame(
            {
                "name": ["plan_start", "horizon_periods", "currency", "zero_ending_backlog"],
                "value": ["2027-01-01", "6", "USD", "true"],
            }
        ),
        "items": pd.DataFrame({"code": ["tool"], "family": ["garden tools"]}),
        "demand": pd.DataFrame(
            {"item": "tool", "location": "plant", "period": MONTHS, "quantity": DEMAND}
        ),
        "inventory": pd.DataFrame(
            {"item": ["tool"], "location": ["plant"], "on_hand": [1000.0], "as_of": ["2026-12-31"]}
        ),
        "resources": pd.DataFrame(
            {
                "code": ["assembly"],
                "name": ["assembly crew"],
                "kind": ["labour"],
                "location": ["plant"],
                "capacity_uom": ["hours"],
                "capacity_per_period": [12800.0],
                "overtime_per_period": [0.0],
            }
        ),
        "routings": pd.DataFrame(
            {
                "item": ["tool"],
                "location": ["plant"],
                "resource": ["assembly"],
                "usage_per_unit": [4.0],
            }
        ),
        "workforce": pd.DataFrame(
            {
                "resource": ["assembly"],
                "headcount": [80.0],
                "hours_per_worker": [160.0],
                "regular_wage": [4.0],
                "overtime_wage": [6.0],
                "overtime_limit_per_worker": [10.0],
                "hiring_cost": [300.0],
                "layoff_cost": [500.0],
            }
        ),
        # The $16 standard labour per tool is carried by the crew's wages, not charged twice.
        "item_costs": pd.DataFrame(
            {
                "item": ["tool"],
                "location": ["plant"],
                "valid_from": ["2027-01-01"],
                "material_cost": [10.0],
                "labour_cost": [16.0],
                "overhead_cost": [0.0],
                "holding_cost": [2.0],
                "backlog_cost": [5.0],
                "lost_sales_cost": [None],
                "subcontract_cost": [30.0],
                "subcontract_limit": [None],
            }
        ),
        "inventory_policies": pd.DataFrame(
            {
                "item": ["tool"],
                "location": ["plant"],
                "method": ["fixed"],
                "safety_stock": [0.0],
                "ending_inventory": [500.0],
            }
        ),
    }
    if price is not None:
        tables["prices"] = pd.DataFrame(
            {"item": ["tool"], "channel": ["all"], "valid_from": ["2027-01-01"], "price": [price]}
        )
    return tables


def test_red_tomato_linear_program_cost_and_plan() -> None:
    """Published LP optimum: total cost $422,275; published (rounded) plan: lay off 15 workers
    in January and keep 65, produce 2,583 tools a month, no overtime or subcontracting,
    inventory 1,983 / 1,567 / 950 / 0 / 117 / 500 and a backlog of 267 in April."""
    plan = solve_supply(problem_from_tables(red_tomato_tables()))
    assert plan.status == "optimal"
    assert round(plan.objective_value, 2) == 422_275.00
    assert round(plan.total_cost, 2) == 422_275.00
    rows = plan.plan
    assert np.abs(rows["production"] - 2583).max() < 0.5
    assert np.abs(rows["end_inventory"] - [1983, 1567, 950, 0, 117, 500]).max() < 0.5
    assert np.abs(rows["backlog"] - [0, 0, 0, 267, 0, 0]).max() < 0.5
    assert rows["subcontract"].max() < 1e-6
    crew = plan.workforce
    assert np.abs(crew["workforce"] - 65).max() < 0.5
    assert np.abs(crew["layoffs"] - [15, 0, 0, 0, 0, 0]).max() < 0.5
    assert crew["hires"].max() < 1e-6
    assert crew["overtime_hours"].max() < 1e-6
    assert plan.relaxations.empty


def test_red_tomato_integer_workforce_cost_and_plan() -> None:
    """Published optimum when workers, hires and layoffs must be whole: $422,660, laying off
    16 and keeping 64 workers, producing 2,560 tools a month, inventory 1,960 / 1,520 / 880 /
    0 / 140 / 500, a backlog of 220 and 140 tools subcontracted in April."""
    plan = solve_supply(problem_from_tables(red_tomato_tables()), integer_workforce=True)
    assert plan.status == "optimal"
    assert round(plan.objective_value, 2) == 422_660.00
    # Whole workers make a tie: keeping the 65th worker to March and subcontracting 120 tools
    # less in April costs the same $422,660. Either optimum may come back from the solver.
    published = {
        "workforce": [64] * 6,
        "layoffs": [16, 0, 0, 0, 0, 0],
        "production": [2560] * 6,
        "end_inventory": [1960, 1520, 880, 0, 140, 500],
        "backlog": [0, 0, 0, 220, 0, 0],
        "subcontract": [0, 0, 0, 140, 0, 0],
    }
    tied = {
        "workforce": [65, 65, 65, 64, 64, 64],
        "layoffs": [15, 0, 0, 1, 0, 0],
        "production": [2600, 2600, 2600, 2560, 2560, 2560],
        "end_inventory": [2000, 1600, 1000, 0, 140, 500],
        "backlog": [0, 0, 0, 220, 0, 0],
        "subcontract": [0, 0, 0, 20, 0, 0],
    }
    got = {
        **{k: plan.workforce[k].tolist() for k in ("workforce", "layoffs")},
        **{k: plan.plan[k].tolist() for k in ("production", "end_inventory", "backlog")},
        "subcontract": plan.plan["subcontract"].tolist(),
    }
    flat = [float(v) for key in published for v in got[key]]
    assert flat in (
        pytest.approx([float(v) for key in published for v in published[key]]),
        pytest.approx([float(v) for key in published for v in tied[key]]),
    )


def test_red_tomato_margin_at_forty_dollars() -> None:
    """Same book, chapter "Sales and Operations Planning": selling every tool at $40 earns
    revenue $640,000 and profit $217,725 (cost $422,275) without a promotion."""
    plan = solve_supply(problem_from_tables(red_tomato_tables(price=40.0)), objective="margin")
    assert plan.status == "optimal"
    assert round(plan.objective_value, 2) == 217_725.00
    revenue = plan.cost_breakdown.set_index("term").loc["revenue", "value"]
    assert round(float(revenue), 2) == 640_000.00
    assert plan.plan["lost_sales"].max() < 1e-6


@pytest.mark.parametrize("level", ["item", "family"])
def test_family_level_of_a_single_item_family_is_the_same_plan(level: str) -> None:
    plan = solve_supply(problem_from_tables(red_tomato_tables()), level=level)  # type: ignore[arg-type]
    assert round(plan.objective_value, 2) == 422_275.00
    expected = "garden tools" if level == "family" else "tool"
    assert set(plan.plan["item"]) == {expected}
