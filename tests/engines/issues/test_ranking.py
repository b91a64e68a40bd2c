"""Gap list: hand-computed golden rows, merging of months, ranking, and money that adds up."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest

from oneplan.engines.issues import issue_list
from oneplan.errors import InputError


def records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    return [{str(k): v for k, v in row.items()} for row in frame.to_dict("records")]


MONTHS = [f"2027-0{m}" for m in range(1, 7)]


def unmet_frame(rows: list[tuple[str, str, str, float, float, str, str | None]]) -> pd.DataFrame:
    frame = pd.DataFrame(
        rows, columns=["item", "location", "period", "backlog", "lost_sales", "cause", "resource"]
    )
    return frame.assign(shadow_price=np.nan, detail="")


@pytest.fixture()
def plan() -> dict[str, Any]:
    unmet = unmet_frame(
        [
            ("A", "L1", "2027-03", 0.0, 10.0, "capacity", "EXT-N1"),
            ("B", "L1", "2027-02", 5.0, 0.0, "capacity", "SUP-VALVE"),
            ("B", "L1", "2027-03", 3.0, 0.0, "capacity", "SUP-VALVE"),
            ("N", "L1", "2027-02", 0.0, 4.0, "no supply source", None),
        ]
    )
    capacity = pd.DataFrame(
        {
            "resource": "EXT-N1",
            "kind": "machine",
            "period": MONTHS,
            "capacity": 100.0,
            "overtime_available": 0.0,
            "used": [100.0, 120.0, 130.0, 100.0, 115.0, 90.0],
            "overtime_used": 0.0,
            "relaxed": [0.0, 20.0, 30.0, 0.0, 0.0, 0.0],
            "utilisation": 1.0,
            "shadow_price": [0.0, 5.0, 5.0, 0.0, 2.0, 0.0],
            "degenerate": False,
        }
    )
    supplier = capacity.iloc[:1].assign(resource="SUP-VALVE", kind="supplier", used=50.0)
    inventory = pd.DataFrame(
        {
            "item": ["A", "B"],
            "location": "L1",
            "period": ["2027-01", "2027-03"],
            "projected_on_hand": [30.0, 200.0],
            "safety_stock": [50.0, 10.0],
            "max_inventory": [np.nan, 150.0],
            "unit_cost": [25.0, 6.0],
        }
    )
    consensus = pd.DataFrame(
        [
            (i, "L1", m, 10.0, p)
            for i, p in (("A", 40.0), ("B", 10.0), ("N", 100.0))
            for m in MONTHS
        ],
        columns=["item", "location", "period", "quantity", "price"],
    ).assign(value=lambda f: f["quantity"] * f["price"])
    variance = pd.DataFrame(
        {
            "family": ["F", "G"],
            "period": ["2027-01", "2027-01"],
            "budget_volume": [100.0, 50.0],
            "plan_volume": [80.0, 60.0],
            "revenue_variance": [-1000.0, 500.0],
            "volume_effect": [-900.0, 400.0],
            "mix_effect": [-100.0, 100.0],
            "price_effect": [0.0, 0.0],
            "margin_variance": [-200.0, 100.0],
        }
    )
    items = pd.DataFrame(
        {
            "code": ["A", "B", "N"],
            "family": ["F", "F", "G"],
            "lifecycle_status": ["active", "active", "new"],
            "launch_date": [None, None, "2027-02-01"],
        }
    )
    relaxations = pd.DataFrame(
        {
            "constraint": ["capacity"],
            "resource": ["EXT-N1"],
            "item": [None],
            "location": [None],
            "period": ["2027-02"],
            "limit": [100.0],
            "relaxed_by": [20.0],
            "penalty_cost": [20_000_000.0],
        }
    )
    return {
        "unmet_demand": unmet,
        "capacity": pd.concat([capacity, supplier], ignore_index=True),
        "inventory": inventory,
        "consensus": consensus,
        "variance": variance,
        "items": items,
        "relaxations": relaxations,
    }


def test_golden_rows_in_rank_order(plan: dict[str, Any]) -> None:
    gaps = issue_list(**plan)
    got = gaps[["kind", "subject", "period", "periods", "units", "money"]]
    expected = [
        ("revenue_gap", "F", "2027-01", 1, 20.0, 1000.0),  # -(-1000)
        ("below_safety_stock", "A@L1", "2027-01", 1, 20.0, 800.0),  # (50 - 30) x 40
        ("unmet_demand", "A@L1", "2027-03", 1, 10.0, 400.0),  # 10 x 40, more units than N
        ("launch_at_risk", "N@L1", "2027-02", 1, 4.0, 400.0),  # 4 x 100
        ("above_max_inventory", "B@L1", "2027-03", 1, 50.0, 300.0),  # (200 - 150) x 6
        ("capacity_overload", "EXT-N1", "2027-02", 2, 50.0, 250.0),  # (20 + 30) x 5
        ("margin_gap", "F", "2027-01", 1, 20.0, 200.0),
        ("backlog", "B@L1", "2027-02", 2, 5.0, 80.0),  # (5 + 3) x 10, peak 5 owed
        ("capacity_overload", "EXT-N1", "2027-05", 1, 15.0, 30.0),  # 15 x 2, April apart
        ("relaxed_limit", "EXT-N1", "2027-02", 1, 20.0, 0.0),
    ]
    got = got.assign(period=got["period"].dt.strftime("%Y-%m"))
    assert [tuple(row.values()) for row in records(got)] == expected
    assert gaps["rank"].tolist() == list(range(1, 11))
    assert list(gaps.columns) == [
        "rank",
        "kind",
        "subject",
        "period",
        "periods",
        "units",
        "unit",
        "money",
        "decision",
        "cause",
        "family",
        "resource",
        "resource_kind",
        "group",
        "note",
    ]
    assert gaps.set_index(["kind", "subject"])["group"].to_dict() == {
        ("revenue_gap", "F"): "budget|F|",
        ("margin_gap", "F"): "budget|F|",
        ("below_safety_stock", "A@L1"): "opening|F|",  # the plan's first month
        ("unmet_demand", "A@L1"): "resource|EXT-N1|",
        ("launch_at_risk", "N@L1"): "launch|N|",
        ("above_max_inventory", "B@L1"): "excess|F|",
        ("capacity_overload", "EXT-N1"): "resource|EXT-N1|",
        ("backlog", "B@L1"): "resource|SUP-VALVE|",
        ("relaxed_limit", "EXT-N1"): "limit|EXT-N1|capacity",
    }


def test_decisions_and_causes_speak_the_planners_words(plan: dict[str, Any]) -> None:
    gaps = issue_list(**plan)

    def row(kind: str, subject: str, month: str) -> dict[str, Any]:
        picked = gaps[(gaps["kind"] == kind) & (gaps["subject"] == subject)]
        return records(picked[picked["period"] == pd.Timestamp(month)])[0]

    shift = row("capacity_overload", "EXT-N1", "2027-02")
    assert shift["decision"] == "add a shift on EXT-N1 in 2027-02 or build ahead"
    assert shift["unit"] == "hours over capacity"
    may = row("capacity_overload", "EXT-N1", "2027-05")
    assert may["decision"] == "approve overtime on EXT-N1 in 2027-05 or build ahead"
    backlog = row("backlog", "B@L1", "2027-02")
    assert "expedite supplier SUP-VALVE" in backlog["decision"]
    assert backlog["cause"] == "not enough capacity on SUP-VALVE"
    assert row("revenue_gap", "F", "2027-01")["cause"] == "largest effect: volume -900"


def test_new_item_is_a_launch_not_plain_unmet_demand(plan: dict[str, Any]) -> None:
    gaps = issue_list(**plan)
    assert "N@L1" not in gaps.loc[gaps["kind"] == "unmet_demand", "subject"].tolist()
    without_items = issue_list(**{**plan, "items": None})
    row = without_items[without_items["subject"] == "N@L1"]
    assert row["kind"].tolist() == ["unmet_demand"] and row["money"].tolist() == [400.0]


def test_missing_optional_inputs_leave_their_kinds_out(plan: dict[str, Any]) -> None:
    core = {k: plan[k] for k in ("unmet_demand", "capacity", "inventory")}
    gaps = issue_list(**core)
    assert set(gaps["kind"]) == {
        "unmet_demand",
        "backlog",
        "capacity_overload",
        "below_safety_stock",
        "above_max_inventory",
    }
    # Without prices, demand is counted in units and priced at 0; capacity keeps its price.
    assert gaps.loc[gaps["kind"] == "unmet_demand", "money"].sum() == 0.0
    assert gaps.loc[gaps["kind"] == "capacity_overload", "money"].sum() == 280.0


def test_threshold_and_top(plan: dict[str, Any]) -> None:
    gaps = issue_list(**plan, overload_threshold=0.85)
    ext = gaps[(gaps["kind"] == "capacity_overload") & (gaps["subject"] == "EXT-N1")]
    # Above 85 hours in every month: one run of six months, 15+35+45+15+30+5 hours.
    assert ext["periods"].tolist() == [6] and ext["units"].tolist() == [145.0]
    assert len(issue_list(**plan, top=3)) == 3


def test_overload_without_a_price_is_worth_the_demand_it_leaves_unmet() -> None:
    unmet = unmet_frame([("A", "L1", "2027-03", 0.0, 10.0, "capacity", "P1")])
    capacity = pd.DataFrame(
        {"resource": ["P1"], "kind": "labour", "period": ["2027-03"], "capacity": 10.0}
    ).assign(used=12.0, relaxed=0.0, shadow_price=np.nan)
    inventory = pd.DataFrame(
        columns=["item", "location", "period", "projected_on_hand", "safety_stock"]
    )
    consensus = pd.DataFrame({"item": ["A"], "location": "L1", "period": "2027-03", "price": 7.0})
    gaps = issue_list(
        unmet_demand=unmet, capacity=capacity, inventory=inventory, consensus=consensus
    )
    assert gaps.set_index("kind").loc["capacity_overload", "money"] == 70.0


@pytest.mark.parametrize(
    ("frame", "column"),
    [("unmet_demand", "lost_sales"), ("capacity", "used"), ("inventory", "safety_stock")],
)
def test_bad_frames_name_frame_and_column(plan: dict[str, Any], frame: str, column: str) -> None:
    with pytest.raises(InputError, match=f"^{frame}, column {column}: is missing") as error:
        issue_list(**{**plan, frame: plan[frame].drop(columns=column)})
    assert (error.value.table, error.value.row, error.value.column) == (frame, None, column)
    broken = plan[frame].astype({column: object})
    broken.loc[0, column] = "lots"
    with pytest.raises(InputError, match="holds 'lots', not a number") as error:
        issue_list(**{**plan, frame: broken})
    problem = error.value.problems[0]
    assert (problem.file, problem.row, problem.column) == (frame, 0, column)
    missing = r"^variance, column revenue_variance: is missing"
    with pytest.raises(InputError, match=missing) as error:
        issue_list(**{**plan, "variance": plan["variance"].drop(columns="revenue_variance")})
    assert error.value.problems[0].column == "revenue_variance"


def test_empty_inputs_give_an_empty_list(plan: dict[str, Any]) -> None:
    gaps = issue_list(
        unmet_demand=plan["unmet_demand"].iloc[:0],
        capacity=plan["capacity"].iloc[:0],
        inventory=plan["inventory"].iloc[:0],
    )
    assert gaps.empty and "decision" in gaps.columns


@pytest.mark.parametrize("seed", range(8))
def test_money_per_kind_adds_up_to_the_inputs(seed: int) -> None:
    rng = np.random.default_rng(seed)
    items, places = ["A", "B", "C", "N"], ["L1", "L2"]
    periods = pd.date_range("2027-01-01", periods=8, freq="MS")
    grid = pd.MultiIndex.from_product(
        [items, places, periods], names=["item", "location", "period"]
    )
    cells = grid.to_frame(index=False)
    cells["price"] = rng.integers(1, 50, len(cells)).astype(float)
    unmet = cells.sample(frac=0.5, random_state=seed).reset_index(drop=True)
    unmet["lost_sales"] = rng.integers(0, 5, len(unmet)) * 1.0
    unmet["backlog"] = rng.integers(0, 5, len(unmet)) * 1.0
    unmet["cause"], unmet["resource"] = "capacity", rng.choice(["M1", "M2"], len(unmet))
    machines = pd.MultiIndex.from_product([["M1", "M2"], periods], names=["resource", "period"])
    capacity = machines.to_frame(index=False).assign(kind="machine", capacity=100.0)
    capacity["used"] = rng.integers(80, 130, len(capacity)) * 1.0
    capacity["relaxed"] = 0.0
    capacity["shadow_price"] = np.where(rng.random(len(capacity)) < 0.5, np.nan, 3.0)
    inventory = cells.assign(
        projected_on_hand=rng.integers(0, 100, len(cells)) * 1.0,
        safety_stock=rng.integers(0, 60, len(cells)) * 1.0,
        max_inventory=80.0,
        unit_cost=rng.integers(1, 9, len(cells)) * 1.0,
    ).drop(columns="price")
    items_frame = pd.DataFrame({"code": items, "lifecycle_status": ["active"] * 3 + ["new"]})
    gaps = issue_list(
        unmet_demand=unmet.drop(columns="price"),
        capacity=capacity,
        inventory=inventory,
        consensus=cells,
        items=items_frame,
    )
    by_kind = gaps.groupby("kind")["money"].sum()

    # Direct sums, one input row at a time.
    price = {(r["item"], r["location"], r["period"]): r["price"] for r in records(cells)}
    demand_kinds = ["unmet_demand", "backlog", "launch_at_risk", "capacity_overload"]
    expected = dict.fromkeys([*demand_kinds, "below_safety_stock", "above_max_inventory"], 0.0)
    caused: dict[tuple[Any, Any], float] = {}
    for r in records(unmet):
        p = price[(r["item"], r["location"], r["period"])]
        if r["item"] == "N":
            expected["launch_at_risk"] += (r["lost_sales"] + r["backlog"]) * p
        else:
            expected["unmet_demand"] += r["lost_sales"] * p
            expected["backlog"] += r["backlog"] * p
        key = (r["resource"], r["period"])
        caused[key] = caused.get(key, 0.0) + (r["lost_sales"] + r["backlog"]) * p
    for r in records(capacity):
        over = r["used"] - r["capacity"]
        if over > 0:
            worth = caused.get((r["resource"], r["period"]), 0.0)
            expected["capacity_overload"] += worth if np.isnan(r["shadow_price"]) else over * 3.0
    for r in records(inventory):
        p = price[(r["item"], r["location"], r["period"])]
        expected["below_safety_stock"] += max(r["safety_stock"] - r["projected_on_hand"], 0) * p
        expected["above_max_inventory"] += max(r["projected_on_hand"] - 80.0, 0) * r["unit_cost"]
    for kind, money in expected.items():
        assert by_kind.get(kind, 0.0) == pytest.approx(money), kind
    assert gaps["money"].is_monotonic_decreasing
    # Every run covers distinct months: the periods of a kind and subject never overlap.
    start = gaps["period"].dt.year * 12 + gaps["period"].dt.month
    span = gaps.assign(start=start, end=start + gaps["periods"])
    # A run also ends where the resource that blocks it changes.
    for _, runs in span.groupby(["kind", "subject", "resource"], dropna=False):
        runs = runs.sort_values("start")
        assert (runs["start"].iloc[1:].to_numpy() > runs["end"].iloc[:-1].to_numpy()).all()


def test_nothing_is_asked_to_be_built_before_the_first_month(plan: dict[str, Any]) -> None:
    gaps = issue_list(**plan)
    # A|L1 starts the plan (2027-01) below safety stock: it can only be expedited.
    opening = gaps[gaps["kind"] == "below_safety_stock"].iloc[0]
    assert opening["decision"] == "expedite A@L1 for 2027-01 or accept lower service"
    assert opening["cause"] == "stock 30 against a safety stock of 50"
    early = issue_list(**{**plan, "unmet_demand": unmet_frame(
        [("A", "L1", "2027-01", 0.0, 10.0, "capacity", "EXT-N1")]
    )})  # fmt: skip
    lost = early[early["kind"] == "unmet_demand"].iloc[0]
    assert lost["decision"] == "accept lost sales or add capacity on EXT-N1 in 2027-01"
    assert "before 2027-01" not in " ".join(early["decision"])


def test_supply_causes_read_as_a_planner_says_them(plan: dict[str, Any]) -> None:
    unmet = unmet_frame(
        [
            ("A", "L1", "2027-02", 0.0, 10.0, "cheaper to lose than to make", None),
            ("B", "L1", "2027-02", 4.0, 0.0, "lead time", None),
            ("B", "L1", "2027-03", 4.0, 0.0, "cheaper to deliver late", None),
        ]
    )
    gaps = issue_list(**{**plan, "unmet_demand": unmet})
    demand = gaps[gaps["kind"].isin(["unmet_demand", "backlog"])].set_index("period")
    causes = set(demand["cause"])
    assert causes == {
        "making it costs more than the sale brings",
        "supply cannot arrive in time",
        "delivering late costs less than building ahead",
    }
    # A change of cause ends the run: B's backlog is two rows, two decisions.
    groups = set(demand["group"])
    assert groups == {
        "short|F|cheaper to lose than to make",
        "short|F|lead time",
        "short|F|cheaper to deliver late",
    }


def test_a_dip_under_safety_stock_at_the_horizon_end_is_marked_not_a_decision(
    plan: dict[str, Any],
) -> None:
    inventory = pd.DataFrame(
        {
            "item": ["A"] * 4 + ["B"] * 3,
            "location": "L1",
            "period": ["2027-03", "2027-04", "2027-05", "2027-06", "2027-04", "2027-05", "2027-06"],
            "projected_on_hand": [20.0, 50.0, 20.0, 20.0, 20.0, 20.0, 20.0],
            "safety_stock": 50.0,
        }
    )
    gaps = issue_list(**{**plan, "inventory": inventory})
    short = gaps[gaps["kind"] == "below_safety_stock"].set_index(["subject", "period"])
    # A: March is a decision; May-June (the last two months) only where the horizon stops.
    # B: below from April, three months before the end: a real dip.
    assert short["note"].to_dict() == {
        ("A@L1", pd.Timestamp("2027-03")): "",
        ("A@L1", pd.Timestamp("2027-05")): "end of horizon",
        ("B@L1", pd.Timestamp("2027-04")): "",
    }
    assert short["group"].tolist().count("") == 1
    one = issue_list(**{**plan, "inventory": inventory}, horizon_end_months=1)
    assert "end of horizon" not in set(one["note"])  # A's dip starts two months before the end
    zero = issue_list(**{**plan, "inventory": inventory}, horizon_end_months=0)
    assert set(zero["note"]) == {""}


def test_a_run_of_months_below_budget_names_its_largest_effect_over_the_run(
    plan: dict[str, Any],
) -> None:
    """Three months in a row below budget are one issue: January alone is mostly volume, the
    three months together mostly price, and the issue says price (the first month's cause
    stood for the whole run before)."""
    variance = pd.DataFrame(
        {
            "family": "F",
            "period": ["2027-01", "2027-02", "2027-03", "2027-05"],
            "budget_volume": 100.0,
            "plan_volume": 90.0,
            "revenue_variance": [-1000.0, -700.0, -700.0, -50.0],
            "volume_effect": [-900.0, -100.0, -100.0, -10.0],
            "mix_effect": [-100.0, 0.0, 0.0, 0.0],
            "price_effect": [0.0, -600.0, -600.0, -40.0],
            "margin_variance": [0.0, 0.0, 0.0, 0.0],
        }
    )
    gaps = issue_list(**{**plan, "variance": variance})
    revenue = gaps[gaps["kind"] == "revenue_gap"].sort_values("period")
    assert revenue["periods"].tolist() == [3, 1]
    assert revenue["money"].tolist() == pytest.approx([2400.0, 50.0])
    assert revenue["cause"].tolist() == [
        "largest effect: price -1,200",
        "largest effect: price -40",
    ]
