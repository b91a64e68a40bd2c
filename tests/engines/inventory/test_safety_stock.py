"""Safety stock against hand computations for each policy method and fallback."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from oneplan.engines.inventory import safety_stock
from oneplan.engines.inventory.safety_stock import fill_rate_k
from oneplan.errors import InputError

Z95 = 1.6449
PERIODS = ["2027-01-01", "2027-02-01", "2027-03-01"]


def _policy(**columns: object) -> pd.DataFrame:
    base: dict[str, object] = {"item": "A", "location": "P1"}
    base.update(columns)
    return pd.DataFrame([base])


def _demand(item: str = "A", quantities: tuple[float, ...] = (310.0, 560.0, 0.0)) -> pd.DataFrame:
    return pd.DataFrame(
        {"item": item, "location": "P1", "period": PERIODS, "quantity": list(quantities)}
    )


def test_service_level_scales_one_step_errors_by_root_lead_time() -> None:
    errors = pd.DataFrame({"item": "A", "location": "P1", "error": [10.0, -10.0, 20.0, -20.0]})
    policy = _policy(method="service_level", service_level=0.95, lead_time_periods=4)
    out = safety_stock(policy, errors, _demand(), periods=PERIODS)
    rmse = math.sqrt((100 + 100 + 400 + 400) / 4)
    assert out["sigma_lt"].tolist() == pytest.approx([rmse * 2] * 3)
    assert out["z"].iloc[0] == pytest.approx(Z95, abs=1e-4)
    assert out["safety_stock"].tolist() == pytest.approx([Z95 * rmse * 2] * 3, rel=1e-4)
    assert "sqrt(L)" in out["note"].iloc[0]


def test_service_level_prefers_cumulative_lead_time_errors() -> None:
    errors = pd.DataFrame(
        {
            "item": "A",
            "location": "P1",
            "cutoff": ["o1", "o1", "o2", "o2", "o3", "o3", "o4"],
            "horizon_step": [1, 2, 1, 2, 1, 2, 1],
            "error": [3.0, 5.0, -4.0, 2.0, 6.0, -1.0, 7.0],
        }
    )
    policy = _policy(method="service_level", service_level=0.95, lead_time_periods=2)
    out = safety_stock(policy, errors, _demand(), periods=PERIODS)
    # origins o1..o3 reach 2 steps: cumulative errors 8, -2, 5; o4 is incomplete
    sigma = math.sqrt((64 + 4 + 25) / 3)
    assert out["sigma_lt"].iloc[0] == pytest.approx(sigma)
    assert out["safety_stock"].iloc[0] == pytest.approx(Z95 * sigma, rel=1e-4)
    assert "cumulative" in out["note"].iloc[0]


def test_standard_deviation_option_and_statsforecast_style_errors() -> None:
    errors = pd.DataFrame(
        {
            "unique_id": "A|P1",
            "ds": ["2026-02-01", "2026-03-01", "2026-04-01", "2026-05-01"],
            "cutoff": ["2026-01-01", "2026-02-01", "2026-03-01", "2026-04-01"],
            "y": [110.0, 90.0, 130.0, 100.0],
            "forecast": [100.0, 100.0, 100.0, 100.0],
        }
    )
    policy = _policy(method="service_level", service_level=0.9, lead_time_periods=1)
    out = safety_stock(policy, errors, _demand(), periods=PERIODS, sigma="std")
    sigma = float(np.std([10.0, -10.0, 30.0, 0.0], ddof=1))
    assert out["sigma_lt"].iloc[0] == pytest.approx(sigma)
    assert out["safety_stock"].iloc[0] == pytest.approx(stats.norm.ppf(0.9) * sigma)


def test_days_of_supply_uses_forward_demand_per_calendar_day() -> None:
    policy = _policy(method="days_of_supply", days_of_supply=10.0)
    out = safety_stock(policy, None, _demand(), periods=PERIODS, forward_periods=2)
    # Jan: (310 + 560) / (31 + 28) per day; Feb: (560 + 0) / (28 + 31); Mar: 0 / 31
    expected = [10 * 870 / 59, 10 * 560 / 59, 0.0]
    assert out["safety_stock"].tolist() == pytest.approx(expected)
    average = safety_stock(
        policy, None, _demand(), periods=PERIODS, forward_periods=2, days_per_month=30.4
    )
    assert average["safety_stock"].iloc[0] == pytest.approx(10 * 870 / 60.8)


def test_fixed_is_clipped_to_min_and_max_inventory() -> None:
    policies = pd.DataFrame(
        {
            "item": ["A", "B"],
            "location": "P1",
            "method": "fixed",
            "safety_stock": [500.0, 5.0],
            "min_inventory": [np.nan, 20.0],
            "max_inventory": [300.0, np.nan],
        }
    )
    demand = pd.concat([_demand("A"), _demand("B")])
    out = safety_stock(policies, None, demand, periods=PERIODS)
    by_item = out.groupby("item")["safety_stock"].first()
    assert by_item.to_dict() == {"A": 300.0, "B": 20.0}
    assert out["note"].str.contains("capped at max_inventory").sum() == 3


def test_new_item_borrows_family_coefficient_of_variation() -> None:
    errors = pd.DataFrame({"item": "A", "location": "P1", "error": [30.0, -30.0, 30.0, -30.0]})
    policies = pd.DataFrame(
        {
            "item": ["A", "B", "C"],
            "location": "P1",
            "method": "service_level",
            "service_level": 0.95,
            "lead_time_periods": 1.0,
        }
    )
    demand = pd.concat(
        [
            _demand("A", (300.0, 300.0, 300.0)),
            _demand("B", (50.0, 50.0, 50.0)),
            _demand("C", (40.0, 40.0, 40.0)),
        ]
    )
    items = pd.DataFrame({"code": ["A", "B", "C"], "family": ["F", "F", "G"]})
    out = safety_stock(policies, errors, demand, periods=PERIODS, items=items, days_per_month=30.4)
    b = out[out["item"] == "B"].iloc[0]
    # CV of A = 30 / 300 = 0.1; B: 0.1 x 50 units a month x sqrt(1)
    assert b["sigma_lt"] == pytest.approx(5.0)
    assert b["safety_stock"] == pytest.approx(5.0 * Z95, rel=1e-4)
    assert "family CV" in b["note"]
    c = out[out["item"] == "C"].iloc[0]
    assert c["safety_stock"] == pytest.approx(15.0 * 40.0 / 30.4)
    assert "no error history" in c["note"]


def test_fill_rate_factor_solves_the_normal_loss_function() -> None:
    fill = np.array([0.95, 0.99, 0.999])
    demand = np.array([100.0, 100.0, 400.0])
    sigma = np.array([40.0, 40.0, 80.0])
    k = fill_rate_k(fill, demand, sigma)
    loss = stats.norm.pdf(k) - k * stats.norm.sf(k)
    assert loss == pytest.approx((1 - fill) * demand / sigma, rel=1e-6)


@pytest.mark.parametrize(
    ("policy", "column"),
    [
        (_policy(method="guess"), "method"),
        (_policy(method="service_level", service_level=1.5), "service_level"),
        (_policy(method="days_of_supply"), "days_of_supply"),
        (_policy(method="fixed"), "safety_stock"),
        (pd.DataFrame({"item": ["A"], "method": ["fixed"]}), "location"),
    ],
)
def test_bad_policy_names_the_column(policy: pd.DataFrame, column: str) -> None:
    with pytest.raises(InputError, match=f"^inventory_policies, .*column {column}: ") as error:
        safety_stock(policy, None, _demand(), periods=PERIODS)
    assert (error.value.table, error.value.column) == ("inventory_policies", column)
    # the one policy row is at fault, unless the whole column is missing
    assert error.value.row == (None if column == "location" else 0)
    with pytest.raises(ValueError):
        safety_stock(policy, None, _demand(), periods=PERIODS)


def test_a_pair_with_two_policies_names_the_second_row() -> None:
    policies = pd.concat([_policy(method="fixed", safety_stock=5.0)] * 2, ignore_index=True)
    with pytest.raises(
        InputError, match="item 'A' at location 'P1' appears more than once"
    ) as error:
        safety_stock(policies, None, _demand(), periods=PERIODS)
    assert (error.value.table, error.value.row, error.value.column) == (
        "inventory_policies",
        1,
        None,
    )


def test_fill_rate_variant_in_safety_stock() -> None:
    errors = pd.DataFrame({"item": "A", "location": "P1", "error": [50.0, -50.0, 50.0, -50.0]})
    policy = _policy(method="service_level", service_level=0.98, lead_time_periods=1)
    out = safety_stock(
        policy,
        errors,
        _demand(quantities=(100.0, 100.0, 100.0)),
        periods=PERIODS,
        service_measure="fill_rate",
        days_per_month=30.4,
    )
    k = out["z"].to_numpy()
    # expected shortage per month (1 - 0.98) x 100 = sigma_lt x G(k), sigma_lt = 50
    loss = stats.norm.pdf(k) - k * stats.norm.sf(k)
    assert loss == pytest.approx([0.02 * 100 / 50] * 3, rel=1e-6)
    assert out["safety_stock"].to_numpy() == pytest.approx(k * 50.0)
    assert "fill_rate" in out["note"].iloc[0]
