"""Price-volume-mix against a hand computation; identities hold for any numbers."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from oneplan.engines.finance import bridge, budget_variance

BUDGET = pd.DataFrame(
    {
        "family": ["F", "G"],
        "period": ["2027-01-01", "2027-01-01"],
        "volume": [100.0, 100.0],
        "revenue": [1000.0, 2000.0],
        "margin": [300.0, 800.0],
    }
)
# plan lines at item level, summed to family by the engine
PLAN = pd.DataFrame(
    {
        "item": ["F1", "F2", "G1"],
        "family": ["F", "F", "G"],
        "period": pd.to_datetime(["2027-01-01"] * 3),
        "shipped_quantity": [100.0, 60.0, 80.0],
        "revenue": [1100.0, 660.0, 1520.0],
        "gross_margin": [300.0, 180.0, 560.0],
    }
)


def test_effects_by_hand() -> None:
    v = budget_variance(PLAN, BUDGET).set_index("family")
    # total volume 200 -> 240 at budget average price 15: +600, split by budget share
    assert v["volume_effect"].tolist() == pytest.approx([200.0, 400.0])
    # shares 0.5/0.5 -> 2/3 and 1/3 of 240 units at budget prices 10 and 20
    assert v["mix_effect"].tolist() == pytest.approx([400.0, -800.0])
    # prices 10 -> 11 on 160 units, 20 -> 19 on 80 units
    assert v["price_effect"].tolist() == pytest.approx([160.0, -80.0])
    assert v["revenue_variance"].tolist() == pytest.approx([760.0, -480.0])
    # margin: unit margins 3 and 8 in the budget; unit cost F 7 -> 8, G 12 -> 12
    assert v["margin_volume_effect"].tolist() == pytest.approx([60.0, 160.0])
    assert v["margin_mix_effect"].tolist() == pytest.approx([120.0, -320.0])
    assert v["margin_price_effect"].tolist() == pytest.approx([160.0, -80.0])
    assert v["cost_effect"].tolist() == pytest.approx([-160.0, 0.0])
    assert v["margin_variance"].tolist() == pytest.approx([180.0, -240.0])


def test_bridge_steps_in_order_and_summing_to_plan() -> None:
    v = budget_variance(PLAN, BUDGET)
    revenue = bridge(v, "revenue")
    assert revenue["step"].tolist() == ["budget", "volume", "mix", "price", "plan"]
    assert revenue["value"].tolist() == pytest.approx([3000, 600, -400, 80, 3280])
    assert revenue["value"].iloc[:-1].sum() == revenue["value"].iloc[-1]
    assert revenue["cumulative"].iloc[-2] == revenue["value"].iloc[-1]
    margin = bridge(v, "margin")
    assert margin["step"].tolist() == ["budget", "volume", "mix", "price", "cost", "plan"]
    assert margin["value"].tolist() == pytest.approx([1100, 220, -200, 80, -160, 1040])
    assert margin["value"].iloc[:-1].sum() == pytest.approx(margin["value"].iloc[-1], abs=1e-9)
    only_f = bridge(v, "revenue", families=["F"])
    assert only_f["value"].tolist() == pytest.approx([1000, 200, 400, 160, 1760])


def test_family_on_one_side_only_keeps_the_identity() -> None:
    plan = pd.concat(
        [
            PLAN,
            pd.DataFrame(
                {
                    "family": ["H"],
                    "period": pd.to_datetime(["2027-01-01"]),
                    "shipped_quantity": [10.0],
                    "revenue": [100.0],
                    "gross_margin": [30.0],
                }
            ),
        ]
    )
    budgets = pd.concat(
        [
            BUDGET,
            pd.DataFrame(
                {
                    "family": ["K"],
                    "period": ["2027-01"],
                    "volume": [5.0],
                    "revenue": [50.0],
                    "margin": [10.0],
                }
            ),
        ]
    )
    v = budget_variance(plan, budgets).set_index("family")
    effects = v[["volume_effect", "mix_effect", "price_effect"]].sum(axis=1)
    assert effects.to_numpy() == pytest.approx(v["revenue_variance"].to_numpy())
    # the new family H has no budget price: all of it is mix, none is price
    assert v.loc["H", "mix_effect"] == pytest.approx(100.0)
    assert v.loc["H", "price_effect"] == pytest.approx(0.0, abs=1e-9)
    assert v.loc["K", "plan_revenue"] == 0.0
    assert v.loc["K", "price_effect"] == pytest.approx(0.0, abs=1e-9)


def test_periods_outside_the_budget_are_not_compared() -> None:
    later = PLAN.assign(period=pd.Timestamp("2027-02-01"))
    v = budget_variance(pd.concat([PLAN, later]), BUDGET)
    assert set(v["period"]) == {pd.Timestamp("2027-01-01")}


positive = st.floats(min_value=1.0, max_value=1000.0)


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(
            positive, positive, positive, positive, st.floats(-0.5, 0.9), st.floats(-0.5, 0.9)
        ),
        min_size=1,
        max_size=5,
    )
)
def test_price_volume_mix_identities(rows: list[tuple[float, ...]]) -> None:
    families = [f"F{i}" for i in range(len(rows))]
    bv, av, bp, ap, bm, am = (np.array(column) for column in zip(*rows, strict=True))
    budgets = pd.DataFrame(
        {
            "family": families,
            "period": "2027-03",
            "volume": bv,
            "revenue": bv * bp,
            "margin": bv * bp * bm,
        }
    )
    plan = pd.DataFrame(
        {
            "family": families,
            "period": "2027-03",
            "volume": av,
            "revenue": av * ap,
            "margin": av * ap * am,
        }
    )
    v = budget_variance(plan, budgets)
    revenue = v[["volume_effect", "mix_effect", "price_effect"]].sum(axis=1)
    assert revenue.to_numpy() == pytest.approx(v["revenue_variance"].to_numpy(), abs=1e-6)
    # the price effect closes the identity and still equals its textbook formula
    assert v["price_effect"].to_numpy() == pytest.approx((ap - bp) * av, rel=1e-9, abs=1e-6)
    # volume effect in total = change in total volume at the budget average price
    average = (bv * bp).sum() / bv.sum()
    assert v["volume_effect"].sum() == pytest.approx((av.sum() - bv.sum()) * average, abs=1e-6)
    assert v["mix_effect"].sum() == pytest.approx(
        ((av / av.sum() - bv / bv.sum()) * av.sum() * bp).sum(), abs=1e-6
    )
    margin = v[
        ["margin_volume_effect", "margin_mix_effect", "margin_price_effect", "cost_effect"]
    ].sum(axis=1)
    assert margin.to_numpy() == pytest.approx(v["margin_variance"].to_numpy(), abs=1e-6)
    unit_cost_b, unit_cost_a = bp * (1 - bm), ap * (1 - am)
    assert v["cost_effect"].to_numpy() == pytest.approx(
        -(unit_cost_a - unit_cost_b) * av, rel=1e-9, abs=1e-6
    )
    steps = bridge(v, "margin")["value"].to_numpy()
    assert steps[:-1].sum() == pytest.approx(steps[-1], rel=1e-12, abs=1e-9)
