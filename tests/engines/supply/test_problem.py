"""Resolving data-package tables into per-period arrays, and rejecting bad tables."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from oneplan.engines.supply import aggregate_to_families, problem_from_tables, solve_supply
from oneplan.errors import InputError

MONTHS = ["2027-01", "2027-02", "2027-03", "2027-04"]


def base() -> dict[str, pd.DataFrame]:
    return {
        "parameters": pd.DataFrame(
            {"name": ["plan_start", "horizon_periods"], "value": ["2027-01-01", "4"]}
        ),
        "demand": pd.DataFrame(
            {
                "item": ["A"] * 4 + ["B"] * 4,
                "location": "P",
                "period": ["2027-01-01", "2027-02", "2027-03-01", "2027-04"] * 2,
                "quantity": [10.0, 20, 30, 40, 30, 0, 0, 10],
            }
        ),
        "items": pd.DataFrame({"code": ["A", "B"], "family": ["F", "F"]}),
        "resources": pd.DataFrame(
            {
                "code": ["M", "CREW"],
                "kind": ["machine", "labour"],
                "location": "P",
                "capacity_per_period": [100.0, 50.0],
                "overtime_per_period": [8.0, 5.0],
            }
        ),
        "resource_capacity": pd.DataFrame(
            {"resource": ["M"], "period": ["2027-03-01"], "capacity": [40.0]}
        ),
        "routings": pd.DataFrame(
            {
                "item": ["A", "B", "A"],
                "location": "P",
                "resource": ["M", "M", "CREW"],
                "usage_per_unit": [1.0, 3.0, 2.0],
            }
        ),
        "item_costs": pd.DataFrame(
            {
                "item": ["A", "A", "B"],
                "location": "P",
                "valid_from": ["2027-02-01", "2027-04-01", "2026-01-01"],
                "material_cost": [5.0, 7.0, 1.0],
                "labour_cost": [2.0, 2.0, 3.0],
                "holding_cost": [1.0, 1.0, 0.1],
                "backlog_cost": [2.0, 2.0, 2.0],
                "lost_sales_cost": [None, None, 9.0],
                "subcontract_cost": [None, None, 4.0],
                "subcontract_limit": [None, None, None],
            }
        ),
        "customer_orders": pd.DataFrame(
            {
                "order_line": ["1", "2"],
                "item": ["A", "A"],
                "location": ["P", "P"],
                "quantity": [6.0, 9.0],
                "requested_date": ["2026-12-20", "2027-01-15"],
            }
        ),
        "inventory_policies": pd.DataFrame(
            {
                "item": ["A", "B"],
                "location": "P",
                "method": ["days_of_supply", "fixed"],
                "days_of_supply": [15.5, None],
                "safety_stock": [None, 4.0],
                "max_backlog_periods": [1, None],
            }
        ),
    }


def test_arrays_follow_the_tables() -> None:
    p = problem_from_tables(base())
    assert list(p.period_labels) == ["2027-01", "2027-02", "2027-03", "2027-04"]
    assert list(p.node_item) == ["A", "B"]
    assert p.demand[0].tolist() == [10, 20, 30, 40]
    # Effective dating: the first row also prices the months before it.
    assert p.material_cost[0].tolist() == [5, 5, 5, 7]
    assert p.material_cost[1].tolist() == [1, 1, 1, 1]
    # CREW has no workforce row here, so per-unit labour is charged for both items.
    assert p.unit_labour_cost[:, 0].tolist() == [2.0, 3.0]
    assert np.isnan(p.subcontract_cost[0]).all() and (p.subcontract_limit[0] == 0).all()
    assert p.subcontract_cost[1, 0] == 4.0 and np.isinf(p.subcontract_limit[1, 0])
    assert np.isnan(p.lost_sales_cost[0, 0]) and p.lost_sales_cost[1, 0] == 9.0
    # Base capacity with the March override; machine overtime only (labour has no workforce
    # row here, so it is a plain capacity without overtime).
    assert p.capacity[0].tolist() == [100, 100, 40, 100]
    assert p.overtime_hours[0].tolist() == [8, 8, 8, 8]
    assert p.overtime_hours[1].tolist() == [0, 0, 0, 0]
    assert p.start_backlog.tolist() == [6.0, 0.0]  # only the order due before plan start
    assert p.safety_stock[0].tolist() == pytest.approx(
        [15.5 * 10 / 31, 15.5 * 20 / 28, 15.5 * 30 / 31, 15.5 * 40 / 30]
    )
    assert p.safety_stock[1].tolist() == [4, 4, 4, 4]
    assert p.max_backlog_periods.tolist() == [1, -1]


def test_family_weights_follow_demand() -> None:
    fam = aggregate_to_families(problem_from_tables(base()))
    assert fam.node_item.tolist() == ["F"]
    assert fam.demand[0].tolist() == [40, 20, 30, 50]
    # A has 100 of the family's 140 units: weights 5/7 and 2/7.
    usage = dict(zip(fam.resource_code[fam.routing_resource], fam.routing_usage, strict=True))
    assert usage["M"] == pytest.approx(5 / 7 * 1 + 2 / 7 * 3)
    assert usage["CREW"] == pytest.approx(5 / 7 * 2)
    assert fam.material_cost[0, 0] == pytest.approx(5 / 7 * 5 + 2 / 7 * 1)
    assert fam.safety_stock[0, 0] == pytest.approx(15.5 * 10 / 31 + 4)
    assert fam.max_backlog_periods.tolist() == [1]
    plan = solve_supply(problem_from_tables(base()), level="family")
    assert plan.status == "optimal"
    assert plan.plan["item"].unique().tolist() == ["F"]


def test_periods_can_be_given_explicitly() -> None:
    p = problem_from_tables(base(), ["2027-02-01", "2027-03-01"])
    assert p.demand[0].tolist() == [20, 30]
    assert problem_from_tables(base(), 2).n_periods == 2


def test_lanes_connect_the_same_item_at_both_ends() -> None:
    tables = base()
    tables["demand"] = pd.concat(
        [
            tables["demand"],
            pd.DataFrame(
                {"item": ["A"], "location": ["DC"], "period": ["2027-02"], "quantity": [5]}
            ),
        ]
    )
    tables["lanes"] = pd.DataFrame(
        {
            "from_location": ["P"],
            "to_location": ["DC"],
            "lead_time_periods": [1],
            "cost_per_unit": [2.0],
        }
    )
    tables["parameters"] = pd.concat(
        [tables["parameters"], pd.DataFrame({"name": ["zero_ending_backlog"], "value": ["yes"]})]
    )
    tables["resources"]["capacity_per_period"] = 500.0
    dc_costs = tables["item_costs"].iloc[:1].assign(location="DC", backlog_cost=50.0)
    tables["item_costs"] = pd.concat([tables["item_costs"], dc_costs])
    p = problem_from_tables(tables)
    assert [p.node_item[p.arc_from[0]], p.node_location[p.arc_from[0]]] == ["A", "P"]
    assert p.node_location[p.arc_to[0]] == "DC"
    assert p.arc_lead.tolist() == [1]
    assert not p.producible[p.arc_to[0]]  # the DC is supplied by the lane, not made there
    plan = solve_supply(p)
    shipped = plan.transfers
    assert plan.relaxations.empty
    assert shipped["quantity"].sum() == pytest.approx(5.0)
    assert shipped["ship_period"].iloc[0] == pd.Timestamp("2027-01-01")


@pytest.mark.parametrize(
    ("table", "column", "value", "message"),
    [
        ("demand", "quantity", -1.0, "holds -1; it must not be negative"),
        ("demand", "quantity", "lots", "holds 'lots', not a number"),
        ("routings", "resource", "NOPE", "'NOPE' is not in resources"),
        ("routings", "usage_per_unit", 0.0, "is 0; it must be more than 0"),
        ("resources", "kind", "robot", "is 'robot'; it must be one of machine, labour, supplier"),
        ("item_costs", "holding_cost", -2.0, "holds -2; it must not be negative"),
        ("resource_capacity", "resource", "X", "'X' is not in resources"),
    ],
)
def test_bad_tables_name_the_column(table: str, column: str, value: object, message: str) -> None:
    tables = base()
    frame = tables[table].copy()
    frame[column] = frame[column].astype(object)
    frame.loc[frame.index[0], column] = value
    tables[table] = frame
    with pytest.raises(InputError, match=f"^{table}, row 0, column {column}: {message}$") as error:
        problem_from_tables(tables)
    # the first row of the table is the one at fault
    assert (error.value.table, error.value.row, error.value.column) == (table, 0, column)


def test_missing_columns_and_settings_are_named() -> None:
    tables = base()
    tables["routings"] = tables["routings"].drop(columns="usage_per_unit")
    with pytest.raises(InputError, match=r"^routings, column usage_per_unit: is missing") as error:
        problem_from_tables(tables)
    assert (error.value.table, error.value.column) == ("routings", "usage_per_unit")
    tables = base()
    del tables["parameters"]
    with pytest.raises(InputError, match="plan_start is needed") as error:
        problem_from_tables(tables)
    assert error.value.table == "parameters"
    with pytest.raises(InputError, match="must be 'cost' or 'margin', not 'profit'") as error:
        solve_supply(problem_from_tables(base()), objective="profit")  # type: ignore[arg-type]
    assert (error.value.table, error.value.column) == ("arguments", "objective")
    tables = base()
    tables["item_costs"] = pd.concat([tables["item_costs"], tables["item_costs"].iloc[:1]])
    with pytest.raises(InputError, match="more than one row for the same item, location") as error:
        problem_from_tables(tables)
    assert (error.value.table, error.value.column) == ("item_costs", "valid_from")


def test_a_month_shut_down_in_the_calendar_has_no_overtime() -> None:
    tables = base()
    shut = pd.DataFrame({"resource": [tables["resources"]["code"].iloc[0]], "period": ["2027-02"],
                         "capacity": [0.0]})  # fmt: skip
    tables["resource_capacity"] = pd.concat([tables["resource_capacity"], shut], ignore_index=True)
    p = problem_from_tables(tables)
    assert p.capacity[0].tolist() == [100, 0, 40, 100]
    assert p.overtime_hours[0].tolist() == [8, 0, 8, 8]  # a reduced month keeps its overtime


def test_machine_overtime_is_never_free() -> None:
    # Without a machine_overtime_cost an overtime hour costs a thousandth of the largest money
    # per unit, so the solver never prefers it to a regular hour left idle.
    tables = base()
    tables["item_costs"] = pd.DataFrame(
        {
            "item": ["A", "B"],
            "location": "P",
            "valid_from": "2027-01",
            "material_cost": [10.0, 4.0],
            "holding_cost": 0.5,
            "backlog_cost": 2.0,
        }
    )
    problem = problem_from_tables(tables)
    assert problem.machine_overtime_cost == pytest.approx(0.01)
    plan = solve_supply(problem)
    machine = plan.utilisation[plan.utilisation["resource"] == "M"]
    spare = machine["used"] < machine["capacity"] - 1e-6
    assert (machine.loc[spare, "overtime_used"] < 1e-9).all()
    given = {
        **tables,
        "parameters": pd.concat(
            [
                tables["parameters"],
                pd.DataFrame({"name": ["machine_overtime_cost"], "value": ["0"]}),
            ]
        ),
    }
    assert problem_from_tables(given).machine_overtime_cost == 0.0
