"""The meeting's list: issue rows gathered into decisions, sized, thresholded and ranked."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest

from oneplan.engines.issues import issue_list, meeting_list
from oneplan.errors import InputError

MONTHS = pd.date_range("2027-01-01", periods=6, freq="MS")


@pytest.fixture()
def issues() -> pd.DataFrame:
    """Twenty items of two families short on one machine, below safety stock, and a gap."""
    items = [f"{family}{n}" for family in ("F", "G") for n in range(10)]
    unmet = pd.DataFrame(
        {
            "item": items,
            "location": "L1",
            "period": MONTHS[np.arange(20) % 3 + 1],
            "backlog": 0.0,
            "lost_sales": 10.0,
            "cause": "capacity",
            "resource": "M1",
        }
    )
    capacity = pd.DataFrame(
        {"resource": "M1", "kind": "machine", "period": MONTHS, "capacity": 100.0}
    ).assign(used=[100.0, 120.0, 110.0, 100.0, 100.0, 100.0], relaxed=0.0, shadow_price=4.0)
    inventory = pd.DataFrame(
        {
            "item": ["F0", "F1", "G0", "G1", "G2"],
            "location": "L1",
            "period": MONTHS[[0, 0, 2, 3, 5]],
            "projected_on_hand": 0.0,
            "safety_stock": [5.0, 5.0, 1.0, 1.0, 50.0],
        }
    )
    consensus = pd.DataFrame({"item": items, "location": "L1", "period": MONTHS[1], "price": 2.0})
    variance = pd.DataFrame(
        {
            "family": ["F", "F"],
            "period": MONTHS[[1, 2]],
            "budget_volume": 100.0,
            "plan_volume": 90.0,
            "revenue_variance": [-300.0, -200.0],
            "volume_effect": [-300.0, -200.0],
            "margin_variance": [-100.0, -50.0],
        }
    )
    codes = pd.DataFrame({"code": items, "family": [i[0] for i in items]})
    return issue_list(
        unmet_demand=unmet,
        capacity=capacity,
        inventory=inventory,
        consensus=consensus,
        variance=variance,
        items=codes,
    )


def test_rows_become_one_decision_per_resource_and_family(issues: pd.DataFrame) -> None:
    agenda = meeting_list(issues)
    got = agenda.decisions.set_index("group")
    assert set(got.index) == {
        "resource|M1|",
        "budget|F|",
        "opening|F|",
        "safety|G|",
    }
    m1 = got.loc["resource|M1|"]
    # 20 lost sales rows of 10 x 2 = 400 against 30 overload hours x 4 = 120: the larger view.
    assert m1["money"] == 400.0 and m1["rows"] == 21 and m1["subjects"] == 20
    assert (m1["kind"], m1["units"], m1["unit"]) == ("unmet_demand", 200.0, "units")
    assert m1["decision"] == "add capacity on M1 for 2027-02 to 2027-04 (overtime, a shift)" + (
        " or build ahead"
    )
    assert m1["cause"] == "30 hours over capacity; 200 units of demand short on 20 items"
    # The revenue gap (500) and the margin gap (150) price one shortfall: the larger counts.
    budget = got.loc["budget|F|"]
    assert budget["money"] == 500.0 and budget["rows"] == 2
    # the effect summed over both months, as the money is
    assert budget["cause"] == "revenue 500 below budget, margin 150; largest effect: volume -500"
    opening = got.loc["opening|F|"]
    assert opening["decision"] == "expedite F stock for 2027-01 or accept lower service"
    assert (
        opening["cause"]
        == "2 items start the plan below safety stock (10 units below safety stock)"
    )
    # G2 is short in the horizon's last month only: where the horizon stops, not a decision.
    detail = agenda.detail
    g2 = detail[(detail["subject"] == "G2@L1") & (detail["kind"] == "below_safety_stock")]
    assert g2["note"].tolist() == ["end of horizon"] and g2["decision_rank"].tolist() == [0]
    assert got.loc["safety|G|", "rows"] == 2  # G0 and G1, apart
    assert agenda.decisions["rank"].tolist() == [1, 2, 3, 4]
    assert agenda.decisions["money"].is_monotonic_decreasing


def test_every_row_on_the_list_points_at_its_decision(issues: pd.DataFrame) -> None:
    agenda = meeting_list(issues)
    on = agenda.detail[agenda.detail["decision_rank"] > 0]
    ranks = agenda.decisions.set_index("group")["rank"]
    assert (on["decision_rank"] == on["group"].map(ranks)).all()
    assert on.groupby("decision_rank").size().tolist() == agenda.decisions["rows"].tolist()
    assert len(agenda.detail) == len(issues)


def test_materiality_and_top_leave_decisions_off_but_keep_their_rows(
    issues: pd.DataFrame,
) -> None:
    money = meeting_list(issues).decisions.set_index("group")["money"]
    agenda = meeting_list(issues, materiality=money.sort_values().iloc[1])
    assert len(agenda.decisions) == len(money) - 1
    left = agenda.detail[agenda.detail["group"] == money.idxmin()]
    assert set(left["note"]) == {"below materiality"} and set(left["decision_rank"]) == {0}
    top = meeting_list(issues, top=2)
    assert top.decisions["group"].tolist() == money.sort_values(ascending=False).index[:2].tolist()
    off = top.detail[
        top.detail["group"].isin(money.index[~money.index.isin(top.decisions["group"])])
    ]
    assert set(off["note"]) == {"beyond the meeting's list"}


def test_a_broken_limit_is_always_on_the_list() -> None:
    inventory = pd.DataFrame(
        columns=["item", "location", "period", "projected_on_hand", "safety_stock"]
    )
    capacity = pd.DataFrame(
        {"resource": ["M1"], "kind": "machine", "period": MONTHS[:1], "capacity": 10.0}
    ).assign(used=10.0, relaxed=0.0, shadow_price=0.0)
    unmet = pd.DataFrame(
        columns=["item", "location", "period", "backlog", "lost_sales", "cause", "resource"]
    )
    relaxed = pd.DataFrame(
        {"constraint": ["capacity"], "resource": ["M1"], "period": MONTHS[:1], "relaxed_by": 5.0}
    )
    rows = issue_list(
        unmet_demand=unmet, capacity=capacity, inventory=inventory, relaxations=relaxed
    )
    decisions = meeting_list(rows, materiality=1e6).decisions
    assert decisions["decision"].tolist() == [
        "raise the capacity limit on M1 in 2027-01 or change the plan"
    ]


def test_no_rows_give_an_empty_list_and_bad_input_is_named(issues: pd.DataFrame) -> None:
    empty = meeting_list(issues.iloc[:0])
    assert empty.decisions.empty and "decision" in empty.decisions.columns
    with pytest.raises(InputError, match=r"^issues, column group: is missing"):
        meeting_list(issues.drop(columns="group"))
    with pytest.raises(InputError, match="materiality"):
        meeting_list(issues, materiality=-1.0)


def test_the_plan_start_decides_what_can_be_built_ahead(issues: pd.DataFrame) -> None:
    later: Any = meeting_list(issues, plan_start="2027-02").decisions.set_index("group")
    assert not later.loc["resource|M1|", "decision"].endswith("or build ahead")
