"""A labour pool planned through the workforce table follows its capacity calendar.

A ``resource_capacity`` row on such a pool is the hours its starting crew gives in that month;
the plan reads it as the month's share of an ordinary month's working time (holidays, short
weeks, a shutdown) and applies it to every worker it plans, regular hours and overtime alike.
Wages are paid for the whole month whatever the calendar says.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from oneplan.engines.supply import problem_from_tables, solve_decomposed, solve_supply
from oneplan.errors import InputError

MONTHS = ["2027-01", "2027-02", "2027-03"]


def crew_tables(*, hiring_cost: float = 1e5, headcount: float = 10.0) -> dict[str, pd.DataFrame]:
    """One item, one hour of crew K a unit; 10 workers x 100 hours (+10 overtime hours each).
    February is a holiday month (700 of the usual 1,000 hours), March a shutdown (0).
    Demand 1,000 a month; losing a unit (50) costs far more than making it."""
    return {
        "demand": pd.DataFrame(
            {"item": "A", "location": "P", "period": MONTHS, "quantity": 1000.0}
        ),
        "resources": pd.DataFrame(
            {
                "code": ["K"],
                "kind": ["labour"],
                "location": ["P"],
                "capacity_per_period": [1000.0],
            }
        ),
        "resource_capacity": pd.DataFrame(
            {"resource": ["K", "K"], "period": ["2027-02", "2027-03"], "capacity": [700.0, 0.0]}
        ),
        "routings": pd.DataFrame(
            {"item": ["A"], "location": "P", "resource": "K", "usage_per_unit": 1.0}
        ),
        "workforce": pd.DataFrame(
            {
                "resource": ["K"],
                "headcount": [headcount],
                "hours_per_worker": [100.0],
                "regular_wage": [1.0],
                "overtime_wage": [2.0],
                "overtime_limit_per_worker": [10.0],
                "hiring_cost": [hiring_cost],
                "layoff_cost": [1e5],
            }
        ),
        "item_costs": pd.DataFrame(
            {
                "item": ["A"],
                "location": "P",
                "valid_from": "2027-01",
                "material_cost": 1.0,
                "holding_cost": 0.1,
                "backlog_cost": 5.0,
                "lost_sales_cost": 50.0,
            }
        ),
    }


def test_the_calendar_sets_the_working_time_of_each_month() -> None:
    problem = problem_from_tables(crew_tables(), MONTHS)
    assert problem.working_time.tolist() == [[1.0, 0.7, 0.0]]
    plan = solve_supply(problem)
    crew = plan.utilisation.set_index("period")
    # 10 workers all along (hiring and layoffs are dear): 1,000 / 700 / 0 regular hours,
    # 100 / 70 / 0 overtime hours
    assert crew["capacity"].tolist() == pytest.approx([1000.0, 700.0, 0.0])
    assert crew["overtime_available"].tolist() == pytest.approx([100.0, 70.0, 0.0])
    made = plan.plan["production"].to_numpy()
    assert made.sum() == pytest.approx(1100.0 + 770.0)
    limit = crew["capacity"].to_numpy() + crew["overtime_available"].to_numpy()
    assert (made <= limit + 1e-6).all()
    assert plan.workforce["regular_hours"].tolist() == pytest.approx([1000.0, 700.0, 0.0])
    # people are paid in the holiday month and the shutdown too
    wages = plan.cost_breakdown.set_index("term").loc["regular_labour", "value"]
    assert wages == pytest.approx(3 * 10 * 100 * 1.0)


def test_a_worker_hired_for_the_holiday_month_works_its_shorter_hours() -> None:
    plan = solve_supply(problem_from_tables(crew_tables(hiring_cost=0.0), MONTHS))
    crew = plan.workforce.set_index("period")
    february = crew.loc[pd.Timestamp("2027-02-01")]
    assert february["workforce"] > 10.0
    assert february["regular_hours"] == pytest.approx(february["workforce"] * 70.0)
    assert february["hours_used"] <= february["workforce"] * 77.0 + 1e-6


def test_the_decomposed_solve_keeps_the_calendar() -> None:
    problem = problem_from_tables(crew_tables(), MONTHS)
    whole, parts = solve_supply(problem), solve_decomposed(problem)
    assert parts.objective_value == pytest.approx(whole.objective_value, rel=1e-9)
    assert np.allclose(parts.utilisation["capacity"], whole.utilisation["capacity"])


def test_a_pool_with_neither_crew_nor_base_hours_cannot_read_its_calendar() -> None:
    tables = crew_tables(headcount=0.0)
    tables["resources"]["capacity_per_period"] = 0.0
    with pytest.raises(InputError, match="no ordinary month to compare with") as e:
        problem_from_tables(tables, MONTHS)
    assert (e.value.table, e.value.column, e.value.row) == ("resource_capacity", "capacity", 0)
