"""Revenue net of rebates: the rebate the history realised, the plan valued net, and a bridge
that shows no price effect when only the rebates separated gross plan from net budget."""

from __future__ import annotations

import pandas as pd
import pytest

from oneplan.engines.finance import (
    bridge,
    budget_variance,
    expected_rebates,
    financial_plan,
    realised_rebates,
)
from oneplan.errors import InputError

ITEMS = pd.DataFrame({"code": ["A", "B", "C"], "family": ["F", "F", "G"]})
PRICES = pd.DataFrame(
    {
        "item": ["A", "B", "C"],
        "channel": "all",
        "valid_from": "2026-01",
        "price": [10.0, 20.0, 40.0],
    }
)
COSTS = pd.DataFrame(
    {
        "item": ["A", "B", "C"],
        "location": "P1",
        "valid_from": "2026-01",
        "material_cost": [4.0, 8.0, 16.0],
        "labour_cost": [1.0, 2.0, 4.0],
        "overhead_cost": [1.0, 2.0, 4.0],
    }
)
# A sold 8 % and C 5 % under the list last year; B has no history.
HISTORY = pd.DataFrame(
    {
        "item": ["A", "A", "C", "C"],
        "location": "P1",
        "period": ["2026-11-01", "2026-12-01", "2026-11-01", "2026-12-01"],
        "quantity": [100.0, 50.0, 10.0, 30.0],
        "revenue": [920.0, 460.0, 380.0, 1140.0],
    }
)


def test_realised_rebate_is_net_over_gross_at_the_list_in_force() -> None:
    found = realised_rebates(HISTORY, PRICES, ITEMS).set_index(["level", "code"])["rebate"]
    assert found[("item", "A")] == pytest.approx(0.08)
    assert found[("item", "C")] == pytest.approx(0.05)
    assert found[("family", "F")] == pytest.approx(0.08)  # only A sold in family F
    assert ("item", "B") not in found.index


def test_months_before_the_first_list_price_and_old_months_are_left_out() -> None:
    prices = PRICES.assign(valid_from="2026-12")
    found = realised_rebates(HISTORY, prices, ITEMS).set_index(["level", "code"])["rebate"]
    # November has no list price in force: only December counts (A 460 on 500, C 1140 on 1200)
    assert found[("item", "A")] == pytest.approx(0.08)
    assert found[("item", "C")] == pytest.approx(0.05)
    older = HISTORY.assign(revenue=[500.0, 460.0, 380.0, 1140.0])
    found = realised_rebates(older, PRICES, ITEMS, months=1).set_index(["level", "code"])
    assert found.loc[("item", "A"), "rebate"] == pytest.approx(0.08)  # November left out


def test_selling_above_the_list_counts_as_no_rebate() -> None:
    dearer = HISTORY.assign(revenue=HISTORY["revenue"] * 2)
    found = realised_rebates(dearer, PRICES, ITEMS)
    assert (found["rebate"] == 0.0).all()


def test_terms_win_then_item_then_family_history() -> None:
    prices = pd.concat(
        [
            PRICES.assign(rebate=[None, None, 0.12]),
            pd.DataFrame(
                {"item": ["A"], "channel": ["web"], "valid_from": ["2026-01"], "price": [9.0]}
            ),
        ],
        ignore_index=True,
    )
    out = expected_rebates(prices, HISTORY, ITEMS).set_index(["item", "channel"])
    assert out.loc[("A", "all"), ["rebate", "rebate_source"]].tolist() == [
        pytest.approx(0.08),
        "item history",
    ]
    assert out.loc[("B", "all"), ["rebate", "rebate_source"]].tolist() == [
        pytest.approx(0.08),
        "family history",
    ]
    assert out.loc[("C", "all"), ["rebate", "rebate_source"]].tolist() == [0.12, "terms"]
    assert out.loc[("A", "web"), ["rebate", "rebate_source"]].tolist() == [0.0, "channel price"]


def test_without_history_or_terms_the_price_is_taken_as_it_stands() -> None:
    out = expected_rebates(PRICES, None, ITEMS)
    assert out["rebate"].tolist() == [0.0, 0.0, 0.0]
    assert set(out["rebate_source"]) == {"none"}


@pytest.mark.parametrize("bad", [1.0, -0.1, 1.5])
def test_a_rebate_outside_zero_to_one_names_the_row(bad: float) -> None:
    with pytest.raises(InputError) as caught:
        expected_rebates(PRICES.assign(rebate=[0.1, bad, None]), HISTORY, ITEMS)
    assert (caught.value.table, caught.value.column, caught.value.row) == ("prices", "rebate", 1)


def _plan(prices: pd.DataFrame, demand: pd.DataFrame) -> pd.DataFrame:
    return financial_plan(demand, None, ITEMS, COSTS, prices).lines


DEMAND = pd.DataFrame(
    {
        "item": ["A", "B", "C"],
        "location": "P1",
        "period": "2027-01",
        "quantity": [120.0, 10.0, 25.0],
    }
)


def test_plan_revenue_is_list_price_less_the_expected_rebate() -> None:
    lines = _plan(expected_rebates(PRICES, HISTORY, ITEMS), DEMAND).set_index("item")
    assert lines["gross_revenue"].tolist() == pytest.approx([1200.0, 200.0, 1000.0])
    assert lines["revenue"].tolist() == pytest.approx([1104.0, 184.0, 950.0])
    assert lines["rebates"].tolist() == pytest.approx([96.0, 16.0, 50.0])
    assert lines["price"].tolist() == pytest.approx([9.2, 18.4, 38.0])
    # margin on the net revenue: A costs 6 a unit
    assert lines.loc["A", "gross_margin"] == pytest.approx(1104.0 - 720.0)


def test_a_channel_without_its_own_price_takes_the_list_price_and_its_rebate() -> None:
    demand = DEMAND.assign(channel=["web", "all", "all"])
    prices = PRICES.assign(rebate=[0.1, 0.0, 0.0])
    channels = financial_plan(demand, None, ITEMS, COSTS, prices).channel_lines
    web = channels[channels["channel"] == "web"].iloc[0]
    assert (web["list_price"], web["rebate"], web["price"]) == pytest.approx((10.0, 0.1, 9.0))


def test_bridge_reconciles_net_revenue_with_no_price_effect_at_unchanged_prices() -> None:
    """Budget at last year's net prices, plan at the same list: volume + mix explain all."""
    budget = pd.DataFrame(
        {
            "family": ["F", "G"],
            "period": "2027-01-01",
            "volume": [100.0, 40.0],
            "revenue": [920.0, 1520.0],  # A's 9.20 and C's 38.00 net
            "margin": [320.0, 560.0],
        }
    )
    demand = DEMAND[DEMAND["item"] != "B"]
    lines = _plan(expected_rebates(PRICES, HISTORY, ITEMS), demand)
    variance = budget_variance(lines, budget)
    net_change = lines["revenue"].sum() - budget["revenue"].sum()
    effects = variance[["volume_effect", "mix_effect", "price_effect"]].sum()
    assert effects.sum() == pytest.approx(net_change)
    assert effects["price_effect"] == pytest.approx(0.0, abs=1e-9)
    steps = bridge(variance, "revenue").set_index("step")["value"]
    assert steps["plan"] == pytest.approx(lines["revenue"].sum())
    assert steps["price"] == pytest.approx(0.0, abs=1e-9)

    # Valued at gross list prices, the rebates would pass for a price rise.
    gross = budget_variance(_plan(PRICES, demand), budget)
    assert gross["price_effect"].sum() == pytest.approx(120 * 0.8 + 25 * 2.0)
