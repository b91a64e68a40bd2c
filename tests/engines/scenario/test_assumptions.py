"""Assumptions applied to small hand-made tables, every expected figure worked out by hand."""

from __future__ import annotations

import re
from typing import Any

import numpy as np
import pandas as pd
import pytest

from oneplan.engines.scenario import apply_assumptions
from oneplan.errors import InputError

MONTHS = pd.date_range("2027-01-01", periods=4, freq="MS")


def tables() -> dict[str, pd.DataFrame]:
    return {
        "parameters": pd.DataFrame(
            {"name": ["plan_start", "horizon_periods"], "value": ["2027-01-01", "4"]}
        ),
        "items": pd.DataFrame({"code": ["H1", "H2", "S1"], "family": ["HOS", "HOS", "SPR"]}),
        "locations": pd.DataFrame({"code": ["N", "S"], "region": ["North", "South"]}),
        "resources": pd.DataFrame(
            {"code": ["PRESS", "LINE"], "kind": "machine", "capacity_per_period": [100.0, 50.0]}
        ),
        "resource_capacity": pd.DataFrame(
            {
                "resource": ["PRESS", "LINE"],
                "period": pd.to_datetime(["2027-02-01", "2027-03-01"]),
                "capacity": [80.0, 40.0],
                "note": ["holidays", "maintenance"],
            }
        ),
        "prices": pd.DataFrame(
            {
                "item": ["H1", "H2", "S1", "H1"],
                "channel": "all",
                "valid_from": pd.to_datetime(["2026-01-01"] * 3 + ["2027-04-01"]),
                "price": [20.0, 10.0, 30.0, 22.0],
            }
        ),
        "item_costs": pd.DataFrame(
            {
                "item": ["H1", "S1"],
                "location": ["N", "S"],
                "valid_from": pd.to_datetime(["2026-01-01", "2026-01-01"]),
                "material_cost": [5.0, 8.0],
                "subcontract_cost": [np.nan, np.nan],
                "subcontract_limit": [np.nan, np.nan],
            }
        ),
        "inventory_policies": pd.DataFrame(
            {
                "item": ["H1", "H2", "S1"],
                "location": ["N", "N", "S"],
                "method": ["days_of_supply", "service_level", "service_level"],
                "service_level": [np.nan, 0.9, 0.9],
                "max_backlog_periods": pd.array([1, 1, 1], dtype="Int64"),
            }
        ),
    }


def demand() -> pd.DataFrame:
    cells = pd.MultiIndex.from_product(
        [["H1", "H2", "S1"], MONTHS], names=["item", "period"]
    ).to_frame(index=False)
    cells["location"] = np.where(cells["item"] == "S1", "S", "N")
    cells["quantity"] = np.tile([10.0, 20.0, 30.0, 40.0], 3)
    return cells[["item", "location", "period", "quantity"]]


def assume(*rows: dict[str, Any]) -> pd.DataFrame:
    defaults = {"target": "", "period_from": None, "period_to": None, "note": ""}
    return pd.DataFrame([{**defaults, "position": i + 1, **row} for i, row in enumerate(rows)])


def quantity(frame: pd.DataFrame, item: str) -> list[float]:
    return frame[frame["item"] == item].sort_values("period")["quantity"].tolist()


def test_family_demand_plus_ten_percent_only_in_its_months() -> None:
    change = assume(
        {
            "kind": "demand_change",
            "target_level": "family",
            "target": "HOS",
            "period_from": "2027-02-01",
            "period_to": "2027-03-01",
            "value": 10.0,
            "unit": "percent",
        }
    )
    _, changed, effects = apply_assumptions(tables(), demand(), change)
    assert quantity(changed, "H1") == pytest.approx([10.0, 22.0, 33.0, 40.0])
    assert quantity(changed, "H2") == pytest.approx([10.0, 22.0, 33.0, 40.0])
    assert quantity(changed, "S1") == [10.0, 20.0, 30.0, 40.0]
    (effect,) = effects.to_dict("records")
    assert effect["rows"] == 4 and effect["change"] == pytest.approx(2 * (2.0 + 3.0))


def test_region_units_are_split_in_proportion() -> None:
    frame = demand()
    frame.loc[(frame["item"] == "H2"), "quantity"] *= 3  # H1:H2 = 1:3 in every month
    change = assume(
        {
            "kind": "demand_change",
            "target_level": "region",
            "target": "North",
            "period_from": "2027-04-01",
            "value": -40.0,
            "unit": "units",
        }
    )
    _, changed, effects = apply_assumptions(tables(), frame, change)
    assert quantity(changed, "H1")[-1] == pytest.approx(40.0 - 10.0)
    assert quantity(changed, "H2")[-1] == pytest.approx(120.0 - 30.0)
    assert effects["change"].iloc[0] == pytest.approx(-40.0)


def test_a_resource_down_for_one_month() -> None:
    change = assume(
        {
            "kind": "capacity_change",
            "target_level": "resource",
            "target": "PRESS",
            "period_from": "2027-03-01",
            "period_to": "2027-03-01",
            "value": -100.0,
            "unit": "percent",
        },
        {
            "kind": "capacity_change",
            "target_level": "resource",
            "target": "LINE",
            "period_from": "2027-03-01",
            "period_to": "2027-04-01",
            "value": 8.0,
            "unit": "hours",
        },
    )
    changed, same_demand, effects = apply_assumptions(tables(), demand(), change)
    rows = changed["resource_capacity"].set_index(["resource", "period"])["capacity"]
    assert rows[("PRESS", pd.Timestamp("2027-03-01"))] == 0.0
    assert rows[("PRESS", pd.Timestamp("2027-02-01"))] == 80.0  # untouched month kept
    assert ("PRESS", pd.Timestamp("2027-04-01")) not in rows.index
    assert rows[("LINE", pd.Timestamp("2027-03-01"))] == 48.0  # on top of maintenance
    assert rows[("LINE", pd.Timestamp("2027-04-01"))] == 58.0  # on top of the base
    assert len(rows) == 4 and not rows.index.duplicated().any()
    assert effects["change"].tolist() == [-100.0, 16.0]
    assert effects["rows"].tolist() == [1, 2]
    pd.testing.assert_frame_equal(same_demand, demand())


def price_in_force(prices: pd.DataFrame, item: str, month: str) -> float:
    rows = prices[(prices["item"] == item) & (prices["valid_from"] <= pd.Timestamp(month))]
    if not len(rows):
        rows = prices[prices["item"] == item].sort_values("valid_from").head(1)
    return float(rows.sort_values("valid_from")["price"].iloc[-1])


def test_price_change_from_a_month() -> None:
    change = assume(
        {
            "kind": "price_change",
            "target_level": "item",
            "target": "H1",
            "period_from": "2027-02-01",
            "period_to": "2027-03-01",
            "value": -5.0,
            "unit": "percent",
        },
        {
            "kind": "price_change",
            "target_level": "family",
            "target": "SPR",
            "period_from": "2027-03-01",
            "value": 10.0,
            "unit": "percent",
        },
    )
    changed, _, effects = apply_assumptions(tables(), demand(), change)
    prices = changed["prices"]
    expected = {
        "H1": [20.0, 19.0, 19.0, 22.0],  # back to the list from April (its own row)
        "H2": [10.0, 10.0, 10.0, 10.0],
        "S1": [30.0, 30.0, 33.0, 33.0],
    }
    for item, values in expected.items():
        got = [price_in_force(prices, item, f"{m:%Y-%m-%d}") for m in MONTHS]
        assert got == pytest.approx(values), item
    assert not prices.duplicated(["item", "channel", "valid_from"]).any()
    assert effects["change"].tolist() == pytest.approx([-1.0, 3.0])


def test_price_change_before_an_items_first_price_keeps_earlier_months() -> None:
    given = tables()
    prices = given["prices"]
    # H2's list starts in March; the engines read it back to January
    prices.loc[prices["item"] == "H2", "valid_from"] = pd.Timestamp("2027-03-01")
    change = assume(
        {
            "kind": "price_change",
            "target_level": "item",
            "target": "H2",
            "period_from": "2027-02-01",
            "value": 5.0,
            "unit": "percent",
        }
    )
    changed, _, effects = apply_assumptions(given, demand(), change)
    got = [price_in_force(changed["prices"], "H2", f"{m:%Y-%m-%d}") for m in MONTHS]
    assert got == pytest.approx([10.0, 10.5, 10.5, 10.5])
    assert effects["rows"].iloc[0] == 2  # the new February row and the March row
    assert effects["change"].iloc[0] == pytest.approx(1.0)


def test_cost_change_and_subcontract_write_dated_rows() -> None:
    change = assume(
        {
            "kind": "cost_change",
            "target_level": "item",
            "target": "S1",
            "period_from": "2027-03-01",
            "value": 25.0,
            "unit": "percent",
        },
        {
            "kind": "subcontract",
            "target_level": "item",
            "target": "S1",
            "value": 12.5,
            "unit": "currency",
        },
        {
            "kind": "subcontract",
            "target_level": "item",
            "target": "S1",
            "value": 50,
            "unit": "units",
        },
    )
    changed, _, _ = apply_assumptions(tables(), demand(), change)
    costs = changed["item_costs"]
    s1 = costs[costs["item"] == "S1"].set_index("valid_from")
    assert s1.loc[pd.Timestamp("2026-01-01"), "material_cost"] == 8.0
    assert s1.loc[pd.Timestamp("2027-03-01"), "material_cost"] == 10.0
    assert s1.loc[pd.Timestamp("2027-01-01"), "subcontract_cost"] == 12.5
    assert s1.loc[pd.Timestamp("2027-03-01"), "subcontract_limit"] == 50.0
    assert np.isnan(s1.loc[pd.Timestamp("2026-01-01"), "subcontract_cost"])
    h1 = costs[costs["item"] == "H1"]
    assert len(h1) == 1 and h1["material_cost"].iloc[0] == 5.0


def test_policy_change_for_a_family() -> None:
    change = assume(
        {
            "kind": "policy_change",
            "target_level": "family",
            "target": "HOS",
            "value": 0.98,
            "unit": "service_level",
        },
        {
            "kind": "policy_change",
            "target_level": "item",
            "target": "S1",
            "value": 0,
            "unit": "max_backlog_periods",
        },
    )
    changed, _, effects = apply_assumptions(tables(), demand(), change)
    policies = changed["inventory_policies"].set_index("item")
    assert policies["service_level"].tolist() == [0.98, 0.98, 0.9]
    assert policies.loc["H1", "method"] == "service_level"
    assert policies["max_backlog_periods"].tolist() == [1, 1, 0]
    assert effects["rows"].tolist() == [2, 1]


def test_two_assumptions_on_one_target_apply_in_position_order() -> None:
    percent = {
        "kind": "demand_change",
        "target_level": "item",
        "target": "H1",
        "value": 50.0,
        "unit": "percent",
    }
    units = {**percent, "value": 10.0, "unit": "units"}
    _, first_percent, _ = apply_assumptions(tables(), demand(), assume(percent, units))
    _, first_units, _ = apply_assumptions(tables(), demand(), assume(units, percent))
    assert quantity(first_percent, "H1") == pytest.approx([25.0, 40.0, 55.0, 70.0])
    assert quantity(first_units, "H1") == pytest.approx([30.0, 45.0, 60.0, 75.0])
    # position, not row order, decides
    shuffled = assume(units, percent).assign(position=[2, 1])
    _, by_position, _ = apply_assumptions(tables(), demand(), shuffled)
    assert quantity(by_position, "H1") == quantity(first_percent, "H1")


def test_input_tables_are_not_changed() -> None:
    given, frame = tables(), demand()
    change = assume(
        {
            "kind": "price_change",
            "target_level": "item",
            "target": "H1",
            "value": 5,
            "unit": "percent",
        },
        {"kind": "demand_change", "target_level": "total", "value": 5, "unit": "percent"},
    )
    apply_assumptions(given, frame, change)
    pd.testing.assert_frame_equal(given["prices"], tables()["prices"])
    pd.testing.assert_frame_equal(frame, demand())


@pytest.mark.parametrize(
    ("row", "field", "message"),
    [
        ({"kind": "rain_dance", "target_level": "item", "unit": "percent"}, "kind", "'rain_dance'"),
        (
            {"kind": "demand_change", "target_level": "resource", "unit": "percent"},
            "target_level",
            "'resource' must be one of",
        ),
        ({"kind": "demand_change", "target_level": "family", "unit": "hours"}, "unit", "'hours'"),
        (
            {"kind": "demand_change", "target_level": "family", "target": "XX"},
            "target",
            "family 'XX' is not in items",
        ),
        ({"kind": "demand_change", "target_level": "item", "target": ""}, "target", "is empty"),
        (
            {"kind": "capacity_change", "target_level": "resource", "target": "OVEN"},
            "target",
            "resource 'OVEN' is not in resources",
        ),
        ({"kind": "demand_change", "value": "lots"}, "value", "'lots' is not a number"),
        ({"kind": "demand_change", "value": -150.0}, "value", "below -100"),
        (
            {"kind": "demand_change", "period_from": "2027-04-01", "period_to": "2027-02-01"},
            "period_to",
            "is before period_from",
        ),
        ({"kind": "demand_change", "period_from": "someday"}, "period_from", "is not a month"),
        (
            {"kind": "policy_change", "target_level": "item", "unit": "service_level", "value": 95},
            "value",
            "between 0 and 1",
        ),
    ],
)
def test_validation_names_the_position_and_field(
    row: dict[str, Any], field: str, message: str
) -> None:
    good = {"kind": "demand_change", "target_level": "item", "target": "H1", "value": 1.0}
    base = {"unit": "percent", **good}
    change = assume(good | {"unit": "units"}, base | row)
    with pytest.raises(InputError, match=f"^assumption 2, column {field}: ") as caught:
        apply_assumptions(tables(), demand(), change)
    assert message in str(caught.value)
    assert (caught.value.table, caught.value.row, caught.value.column) == (
        "assumption 2",
        None,
        field,
    )


def test_missing_assumption_columns_are_named() -> None:
    missing = "^assumptions, column target_level: is missing, and so are value, unit "
    with pytest.raises(InputError, match=missing) as caught:
        apply_assumptions(tables(), demand(), assume({"kind": "demand_change"}))
    assert (caught.value.table, caught.value.column) == ("assumptions", "target_level")


def test_a_launch_moved_shifts_its_ramp_and_keeps_the_plan_grid() -> None:
    months = pd.date_range("2027-01-01", periods=5, freq="MS")
    demand = pd.DataFrame(
        {
            "item": ["NEW"] * 5 + ["OLD"] * 5,
            "location": "DC",
            "period": list(months) * 2,
            "quantity": [0.0, 0.0, 10.0, 20.0, 30.0] + [7.0] * 5,
        }
    )
    two_later = pd.DataFrame(
        [
            {"position": 1, "kind": "launch_moved", "target_level": "item", "target": "NEW",
             "period_from": None, "period_to": None, "value": 2, "unit": "months"}
        ]
    )  # fmt: skip
    _, later, effects = apply_assumptions({}, demand, two_later)
    new = later[later["item"] == "NEW"].sort_values("period")["quantity"].tolist()
    assert new == [0.0, 0.0, 0.0, 0.0, 10.0]  # 20 and 30 move past the horizon
    assert later[later["item"] == "OLD"]["quantity"].tolist() == [7.0] * 5
    assert effects.loc[0, "change"] == -50.0 and effects.loc[0, "rows"] == 5

    one_earlier = two_later.assign(value=-1)
    _, earlier, _ = apply_assumptions({}, demand, one_earlier)
    assert earlier[earlier["item"] == "NEW"].sort_values("period")["quantity"].tolist() == [
        0.0,
        10.0,
        20.0,
        30.0,
        0.0,  # the last month has nothing left to take from
    ]


def test_a_launch_moves_by_whole_months_only() -> None:
    demand = pd.DataFrame(
        {
            "item": ["NEW"],
            "location": "DC",
            "period": [pd.Timestamp("2027-01-01")],
            "quantity": [1.0],
        }
    )
    half = pd.DataFrame(
        [
            {"position": 3, "kind": "launch_moved", "target_level": "item", "target": "NEW",
             "period_from": None, "period_to": None, "value": 0.5, "unit": "months"}
        ]
    )  # fmt: skip
    with pytest.raises(
        InputError, match="assumption 3, column value: a launch moves by whole"
    ) as e:
        apply_assumptions({}, demand, half)
    assert (e.value.table, e.value.column) == ("assumption 3", "value")


def test_a_capacity_change_on_a_workforce_pool_changes_its_working_time() -> None:
    # The crew starts with 5 x 160 = 800 hours (its capacity_per_period, 100, is stale and
    # not used): half of it in February, and an extra 40-hour shift in March.
    given = tables()
    given["resources"] = pd.DataFrame(
        {
            "code": ["PRESS", "LINE", "CREW"],
            "kind": ["machine", "machine", "labour"],
            "capacity_per_period": 100.0,
        }
    )
    given["workforce"] = pd.DataFrame(
        {"resource": ["CREW"], "headcount": [5.0], "hours_per_worker": [160.0]}
    )
    change = assume(
        {
            "kind": "capacity_change",
            "target_level": "resource",
            "target": "CREW",
            "period_from": "2027-02-01",
            "period_to": "2027-02-01",
            "value": -50,
            "unit": "percent",
        },
        {
            "kind": "capacity_change",
            "target_level": "resource",
            "target": "CREW",
            "period_from": "2027-03-01",
            "period_to": "2027-03-01",
            "value": 40,
            "unit": "hours",
        },
    )
    changed, _, effects = apply_assumptions(given, demand(), change)
    rows = changed["resource_capacity"].set_index(["resource", "period"])["capacity"]
    assert rows[("CREW", pd.Timestamp("2027-02-01"))] == 400.0
    assert rows[("CREW", pd.Timestamp("2027-03-01"))] == 840.0
    assert effects["change"].tolist() == [-400.0, 40.0]
    # the supply plan reads them as the share of an ordinary month each worker works
    from oneplan.engines.supply import problem_from_tables

    changed["workforce"] = changed["workforce"].assign(
        regular_wage=1.0,
        overtime_wage=1.5,
        overtime_limit_per_worker=0.0,
        hiring_cost=0.0,
        layoff_cost=0.0,
    )
    problem = problem_from_tables({**changed, "demand": demand()})
    crew = list(problem.resource_code).index("CREW")
    pool = list(problem.pool_resource).index(crew)
    assert problem.working_time[pool].tolist() == pytest.approx([1.0, 0.5, 1.05, 1.0])


@pytest.mark.parametrize(
    ("kind", "level", "target", "unit", "hint"),
    [
        ("capacity_change", "resource", "press", "percent", "did you mean PRESS?"),
        ("demand_change", "family", "hos", "percent", "did you mean HOS?"),
        ("demand_change", "item", "h1", "percent", "did you mean H1?"),
        ("demand_change", "region", "north", "percent", "did you mean North?"),
        ("demand_change", "location", "n", "percent", "did you mean N?"),
        ("launch_moved", "item", "S1 ", "months", "did you mean S1?"),
    ],
)
def test_an_unknown_target_near_a_known_code_gets_a_hint(
    kind: str, level: str, target: str, unit: str, hint: str
) -> None:
    change = assume(
        {"kind": kind, "target_level": level, "target": target, "value": -10.0, "unit": unit}
    )
    with pytest.raises(InputError, match=re.escape(hint)) as caught:
        apply_assumptions(tables(), demand(), change)
    assert caught.value.column == "target"
