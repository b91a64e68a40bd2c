"""The cause of each shortage, checked against cases worked out by hand.

A shortage is blamed on capacity only when supplying it on time would have cost less than
the shortage and a full resource stood in the way; otherwise its true cause is named.
"""

from __future__ import annotations

import pandas as pd
import pytest

from oneplan.engines.supply import problem_from_tables, solve_supply

MONTHS = ["2027-01", "2027-02", "2027-03"]


def press(
    demand: list[float],
    *,
    material: list[float],
    holding: float,
    backlog: float = 4.0,
    lost: float | None = 30.0,
    hours: float = 100.0,
) -> dict[str, pd.DataFrame]:
    """Item A on press M (1 hour a unit) at plant P; material may change by month."""
    return {
        "demand": pd.DataFrame(
            {"item": "A", "location": "P", "period": MONTHS, "quantity": demand}
        ),
        "resources": pd.DataFrame(
            {"code": ["M"], "kind": "machine", "location": "P", "capacity_per_period": hours}
        ),
        "routings": pd.DataFrame(
            {"item": ["A"], "location": "P", "resource": "M", "usage_per_unit": 1.0}
        ),
        "item_costs": pd.DataFrame(
            {
                "item": "A",
                "location": "P",
                "valid_from": MONTHS,
                "material_cost": material,
                "holding_cost": holding,
                "backlog_cost": backlog,
                "lost_sales_cost": lost,
            }
        ),
    }


def causes(tables: dict[str, pd.DataFrame]) -> pd.DataFrame:
    plan = solve_supply(problem_from_tables(tables, MONTHS))
    return plan.unmet_demand.set_index("period")


def test_a_sale_cheaper_to_lose_is_not_blamed_on_an_earlier_bottleneck() -> None:
    # January: 150 ordered, 100 hours; the 50 short are lost (30 each) because the press is
    # full, and an hour is worth 30 - 10 = 20. From February material costs 40: March's 80
    # are lost although the press is idle, since making one costs 40 (or 10 + 2 x 15 built
    # in January), more than losing it (30). Blaming January's press would be false.
    found = causes(press([150, 0, 80], material=[10, 40, 40], holding=15.0))
    january = found.loc[pd.Timestamp("2027-01-01")]
    assert january["lost_sales"] == pytest.approx(50.0)
    assert (january["cause"], january["resource"]) == ("capacity", "M")
    assert january["binding_period"] == pd.Timestamp("2027-01-01")
    assert january["shadow_price"] == pytest.approx(20.0)
    assert (january["supply_cost"], january["shortage_cost"]) == pytest.approx((10.0, 30.0))
    march = found.loc[pd.Timestamp("2027-03-01")]
    assert march["lost_sales"] == pytest.approx(80.0)
    assert march["cause"] == "cheaper to lose than to make"
    assert pd.isna(march["resource"]) and pd.isna(march["binding_period"])
    assert (march["supply_cost"], march["shortage_cost"]) == pytest.approx((40.0, 30.0))
    assert "costs 40.00, losing it 30.00" in march["detail"]


def test_a_month_that_could_have_built_ahead_is_named_when_it_was_full() -> None:
    # March's material costs 40, more than a lost sale (30), so March's 50 could only have
    # been built ahead (10 + 1 a month held); January and February are full with their own
    # 100. The press is idle in March, but the cause is the full February, the last month
    # that could have built them.
    found = causes(press([100, 100, 50], material=[10, 10, 40], holding=1.0))
    march = found.loc[pd.Timestamp("2027-03-01")]
    assert march["lost_sales"] == pytest.approx(50.0)
    assert (march["cause"], march["resource"]) == ("capacity", "M")
    assert march["binding_period"] == pd.Timestamp("2027-02-01")
    assert march["supply_cost"] == pytest.approx(11.0)  # built in February, held a month


def test_when_every_month_is_full_the_latest_is_named() -> None:
    # 80 / 100 / 140 ordered, 100 hours a month: January builds 20 ahead, and 20 of March's
    # are still short; every month could have made them and every month was full.
    found = causes(press([80, 100, 140], material=[10, 10, 10], holding=1.0))
    march = found.loc[pd.Timestamp("2027-03-01")]
    assert march["lost_sales"] + march["backlog"] == pytest.approx(20.0)
    assert (march["cause"], march["resource"]) == ("capacity", "M")
    assert march["binding_period"] == pd.Timestamp("2027-03-01")


def test_a_late_delivery_that_is_cheaper_than_building_ahead() -> None:
    # February's 50 cost 20 to make in February and 10 + 5 to build in January, but 10 + 1
    # made in March and delivered a month late: the plan waits, with the press idle.
    tables = press([0, 50, 0], material=[10, 20, 10], holding=5.0, backlog=1.0, lost=None)
    february = causes(tables).loc[pd.Timestamp("2027-02-01")]
    assert february["backlog"] == pytest.approx(50.0)
    assert february["cause"] == "cheaper to deliver late"
    assert february["supply_cost"] == pytest.approx(15.0)
    assert february["shortage_cost"] == pytest.approx(11.0)


def network() -> dict[str, pd.DataFrame]:
    """A made at plant P (press M, plenty of hours) ships to DC D in one month; D holds 10
    and needs 30 / 20 / 20. B is made at plant Q, which has no lane to D, and D needs 5."""
    return {
        "demand": pd.DataFrame(
            {
                "item": ["A"] * 3 + ["B"],
                "location": "D",
                "period": [*MONTHS, "2027-02"],
                "quantity": [30.0, 20.0, 20.0, 5.0],
            }
        ),
        "inventory": pd.DataFrame({"item": ["A"], "location": ["D"], "on_hand": [10.0]}),
        "resources": pd.DataFrame(
            {"code": ["M"], "kind": "machine", "location": "P", "capacity_per_period": 1000.0}
        ),
        "routings": pd.DataFrame(
            {"item": ["A", "B"], "location": ["P", "Q"], "resource": "M", "usage_per_unit": 1.0}
        ),
        "lanes": pd.DataFrame(
            {
                "from_location": ["P"],
                "to_location": ["D"],
                "lead_time_periods": [1],
                "cost_per_unit": [0.5],
            }
        ),
        "item_costs": pd.DataFrame(
            {
                "item": ["A", "A", "B", "B"],
                "location": ["P", "D", "Q", "D"],
                "valid_from": "2027-01",
                "material_cost": 10.0,
                "holding_cost": 0.1,
                "backlog_cost": 2.0,
                "lost_sales_cost": 30.0,
            }
        ),
    }


def test_a_lead_time_longer_than_the_wait_is_named() -> None:
    found = solve_supply(problem_from_tables(network(), MONTHS)).unmet_demand
    a = found[found["item"] == "A"].set_index("period").loc[pd.Timestamp("2027-01-01")]
    # January: 10 on hand, 30 ordered, and nothing made at P arrives before February
    assert a["backlog"] + a["lost_sales"] == pytest.approx(20.0)
    assert a["cause"] == "lead time" and pd.isna(a["resource"])
    assert pd.isna(a["supply_cost"])


def test_an_item_nobody_supplies_here_has_no_source() -> None:
    found = solve_supply(problem_from_tables(network(), MONTHS)).unmet_demand
    b = found[found["item"] == "B"].iloc[0]
    assert b["cause"] == "no supply source" and pd.isna(b["resource"])


def test_a_minimum_binds_from_the_first_month_supply_can_reach_it() -> None:
    """D must hold 15 of A; in January only its opening 10 (less demand) can be there, since
    the lane from P takes a month. The plan breaks no limit for it (it used to relax January's
    minimum at the relaxation penalty, which made up most of a large company's plan cost) and
    holds the minimum from February."""
    tables = network()
    tables["inventory_policies"] = pd.DataFrame(
        {"item": ["A"], "location": ["D"], "method": "fixed", "min_inventory": [15.0]}
    )
    plan = solve_supply(problem_from_tables(tables, MONTHS))
    assert plan.status == "optimal"
    assert plan.relaxations.empty
    a = plan.plan[(plan.plan["item"] == "A") & (plan.plan["location"] == "D")]
    assert a["end_inventory"].tolist()[1:] == pytest.approx([15.0, 15.0])
