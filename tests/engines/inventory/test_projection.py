"""Projected inventory: balances recomputed apart, days of supply by hand, flags."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from oneplan.engines.inventory import project_inventory

PERIODS = pd.date_range("2027-01-01", periods=6, freq="MS")


def _frame(values: np.ndarray, items: list[str], column: str = "quantity") -> pd.DataFrame:
    return pd.DataFrame(
        {
            "item": np.repeat(items, len(PERIODS)),
            "location": "P1",
            "period": np.tile(PERIODS, len(items)),
            column: values.ravel(),
        }
    )


def test_balances_hold_for_every_period() -> None:
    rng = np.random.default_rng(7)
    items = [f"I{i}" for i in range(20)]
    supply = rng.uniform(0, 100, (20, 6)).round()
    demand = rng.uniform(0, 100, (20, 6)).round()
    start = pd.DataFrame({"item": items, "location": "P1", "on_hand": rng.uniform(0, 80, 20)})
    out = project_inventory(
        start,
        _frame(supply, items),
        _frame(demand, items),
        _frame(np.full((20, 6), 10.0), items, "safety_stock"),
    )
    out = out.sort_values(["item", "period"])
    for item, rows in out.groupby("item"):
        opening = float(start.loc[start["item"] == item, "on_hand"].iloc[0])
        previous = np.concatenate([[opening], rows["net_inventory"].to_numpy()[:-1]])
        balance = previous + rows["supply"].to_numpy() - rows["demand"].to_numpy()
        assert rows["net_inventory"].to_numpy() == pytest.approx(balance)
    assert (out["projected_on_hand"] - out["backlog"]).to_numpy() == pytest.approx(
        out["net_inventory"].to_numpy()
    )
    assert (out["projected_on_hand"] >= 0).all() and (out["backlog"] >= 0).all()
    assert ((out["projected_on_hand"] == 0) | (out["backlog"] == 0)).all()
    expected_flag = out["projected_on_hand"] < out["safety_stock"]
    assert (out["below_safety_stock"] == expected_flag).all()


def test_days_of_supply_by_hand_and_max_flag() -> None:
    start = pd.DataFrame({"item": ["A"], "location": ["P1"], "on_hand": [400.0]})
    supply = _frame(np.array([[0.0, 0, 0, 0, 0, 0]]), ["A"])
    demand = _frame(np.array([[100.0, 280, 310, 0, 0, 0]]), ["A"])
    target = _frame(np.full((1, 6), 50.0), ["A"], "safety_stock")
    policies = pd.DataFrame({"item": ["A"], "location": ["P1"], "max_inventory": [250.0]})
    out = project_inventory(start, supply, demand, target, policies=policies, forward_periods=1)
    on_hand = out["projected_on_hand"].tolist()
    assert on_hand == [300.0, 20.0, 0.0, 0.0, 0.0, 0.0]
    assert out["backlog"].tolist() == [0.0, 0.0, 290.0, 290.0, 290.0, 290.0]
    # end of Jan: 300 on hand / (280 units / 28 days in Feb) = 30 days
    assert out["days_of_supply"].iloc[0] == pytest.approx(30.0)
    # end of Feb: 20 / (310 / 31) = 2 days
    assert out["days_of_supply"].iloc[1] == pytest.approx(2.0)
    assert out["above_max"].tolist() == [True, False, False, False, False, False]
    assert out["below_safety_stock"].tolist() == [False, True, True, True, True, True]


def test_pairs_missing_from_some_frames_are_filled_with_zero() -> None:
    start = pd.DataFrame({"item": ["A"], "location": ["P1"], "on_hand": [10.0]})
    supply = _frame(np.full((1, 6), 5.0), ["B"])
    demand = _frame(np.full((1, 6), 1.0), ["A"])
    target = _frame(np.zeros((1, 6)), ["A"], "safety_stock")
    out = project_inventory(start, supply, demand, target)
    assert sorted(out["item"].unique()) == ["A", "B"]
    b = out[out["item"] == "B"]
    assert b["projected_on_hand"].tolist() == [5.0, 10.0, 15.0, 20.0, 25.0, 30.0]
    assert np.isinf(b["days_of_supply"]).all()
