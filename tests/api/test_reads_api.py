"""The stored plans read over HTTP, on both databases: the demand plan at every level and a
node's layers, the planning grid, the supply plan's explanations and the financial plan, a page
at a time; and each read within the reader's scope."""

from __future__ import annotations

from typing import Any

import pandas as pd
import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from oneplan.runner import run_phased
from oneplan.services.actor import Actor
from oneplan.services.permissions import Role

from .conftest import People

LAYERS = ["baseline", "lifecycle_adjustment", "event_uplift", "override_adjustment"]


@pytest.fixture
def cycle(
    engine: sa.Engine, prepare: Any, hand_consensus: pd.DataFrame, people: People
) -> dict[str, Any]:
    """The demo company; a demand plan with its layers (nine tenths statistical, the rest an
    override) priced at 10 a unit; the supply plan and the financial plan on it; an
    administrator, a sales manager for hoses and a planner of the northern plant."""
    from oneplan.services.finance.service import finance_run

    consensus = hand_consensus.assign(
        baseline=hand_consensus["quantity"] * 0.9,
        lifecycle_adjustment=0.0,
        event_uplift=0.0,
        override_adjustment=hand_consensus["quantity"] * 0.1,
        price=10.0,
        value=hand_consensus["quantity"] * 10.0,
    )
    prepare.import_demo(engine)
    prepare.store_consensus(engine, consensus)
    prepare.run_supply(engine)
    run_phased(engine, finance_run(Actor.administrator("tester")))
    people.add("ann", Role.viewer)
    people.add("sam", Role.sales, families=frozenset({"HOS"}))
    people.add("pat", Role.supply_planner, locations=frozenset({"PL-NORTH"}))
    return {"consensus": consensus}


def get(api: TestClient, people: People, who: str, path: str, status: int = 200) -> Any:
    answer = api.get(path, headers=people.as_(who))
    assert answer.status_code == status, (who, path, answer.text)
    return answer.json()


def every(api: TestClient, people: People, who: str, path: str) -> list[dict[str, Any]]:
    """Every row of a list, a page of 50 at a time."""
    found: list[dict[str, Any]] = []
    while True:
        joiner = "&" if "?" in path else "?"
        page = get(api, people, who, f"{path}{joiner}limit=50&offset={len(found)}")
        found += page["items"]
        if not page["items"]:
            assert len(found) == page["total"]
            return found


def test_the_demand_plan_is_read_at_every_level_a_page_at_a_time(
    api: TestClient, people: People, cycle: dict[str, Any], demo_frames: dict[str, pd.DataFrame]
) -> None:
    consensus = cycle["consensus"]
    units = consensus["quantity"].sum()
    for level in ("total", "category", "family", "region", "location", "item", "item_location"):
        rows = every(api, people, "ann", f"/demand/plan?level={level}")
        assert sum(r["quantity"] for r in rows) == pytest.approx(units), level
        assert sum(r["value"] for r in rows) == pytest.approx(units * 10), level
    families = every(api, people, "ann", "/demand/plan?level=family&start=2027-03&end=2027-05")
    assert {r["period"] for r in families} == {"2027-03-01", "2027-04-01", "2027-05-01"}
    assert {r["member"] for r in families} == set(demo_frames["families"]["code"])
    hoses = get(api, people, "ann", "/demand/plan?level=family&member=HOS&limit=2&offset=1")
    assert hoses["total"] == 18 and [r["period"] for r in hoses["items"]] == [
        "2027-02-01",
        "2027-03-01",
    ]
    one = hoses["items"][0]
    assert one["baseline"] + one["override_adjustment"] == pytest.approx(one["quantity"])


def test_a_nodes_layers_add_up_to_its_consensus(
    api: TestClient, people: People, cycle: dict[str, Any]
) -> None:
    node = get(api, people, "ann", "/demand/plan/family/layers?member=HOS&end=2027-06")
    assert node["months"] == ["2027-01", "2027-02", "2027-03", "2027-04", "2027-05", "2027-06"]
    layers = {row["layer"]: row["values"] for row in node["layers"]}
    assert list(layers) == [
        "statistical",
        "lifecycle",
        "events",
        "overrides",
        "consensus",
        "consensus value",
    ]
    for month in range(6):
        parts = sum(layers[name][month] for name in ("statistical", "overrides"))
        assert parts == pytest.approx(layers["consensus"][month])
    total = get(api, people, "ann", "/demand/plan/total/layers")
    assert len(total["months"]) == 18 and total["member"] == ""
    missing = get(api, people, "ann", "/demand/plan/family/layers?member=NOPE", status=404)
    assert "family NOPE" in missing["detail"]


def test_the_planning_grid_is_filtered_and_paged(
    api: TestClient, people: People, cycle: dict[str, Any]
) -> None:
    consensus = cycle["consensus"]
    rows = every(api, people, "ann", "/demand/grid?family=HOS&end=2027-02")
    page = get(api, people, "ann", "/demand/grid?family=HOS&end=2027-02&limit=1")
    assert page["months"] == ["2027-01", "2027-02"]
    assert {r["family"] for r in rows} == {"HOS"}
    assert all(len(r["quantities"]) == 2 for r in rows)
    january = consensus[consensus["period"] == pd.Timestamp("2027-01-01")]
    hoses = january[january["item"].str.startswith("HOS")]
    assert sum(r["quantities"][0] for r in rows) == pytest.approx(hoses["quantity"].sum(), 1e-3)


def test_the_supply_plans_explanations_are_read(
    api: TestClient, people: People, cycle: dict[str, Any]
) -> None:
    used = every(api, people, "ann", "/supply/utilisation?start=2027-01&end=2027-03")
    assert used and {r["period"] for r in used} == {"2027-01-01", "2027-02-01", "2027-03-01"}
    assert all(r["location"] for r in used)
    page = get(api, people, "ann", "/supply/binding-constraints?limit=5")
    assert page["currency"] and page["items"]
    assert all(r["meaning"] for r in page["items"])
    prices = [abs(r["shadow_price"] or 0.0) for r in page["items"]]
    assert prices == sorted(prices, reverse=True)  # the costliest first
    unmet = every(api, people, "ann", "/supply/unmet-demand")
    sizes = [r["backlog"] + r["lost_sales"] for r in unmet]
    assert sizes == sorted(sizes, reverse=True) and all(r["cause"] for r in unmet)
    crews = every(api, people, "ann", "/supply/workforce")
    assert crews and all(r["workforce"] is not None for r in crews)
    one = get(api, people, "ann", f"/supply/workforce?resource={crews[0]['resource']}")
    assert {r["resource"] for r in one["items"]} == {crews[0]["resource"]}


def test_the_financial_plan_is_read_by_month_quarter_and_year(
    api: TestClient, people: People, cycle: dict[str, Any]
) -> None:
    months = every(api, people, "ann", "/finance/plan?grain=month")
    quarters = every(api, people, "ann", "/finance/plan?grain=quarter")
    years = every(api, people, "ann", "/finance/plan?grain=year")
    revenue = sum(r["revenue"] for r in months)
    assert sum(r["revenue"] for r in quarters) == pytest.approx(revenue)
    assert sum(r["revenue"] for r in years) == pytest.approx(revenue)
    assert all(r["operating_cash_flow"] is not None for r in months)
    families = every(api, people, "ann", "/finance/plan?level=family&grain=month")
    assert sum(r["revenue"] for r in families) == pytest.approx(revenue)
    variance = every(api, people, "ann", "/finance/budget-variance?family=HOS")
    assert variance and {r["family"] for r in variance} == {"HOS"}
    for measure in ("revenue", "margin"):
        bridge = get(api, people, "ann", f"/finance/bridges/{measure}")
        steps = bridge["steps"]
        assert steps[0]["step"] == "budget" and bridge["measure"] == measure
        *moves, plan = steps  # budget, the effects, then the plan itself
        assert plan["step"] == "plan"
        assert plan["cumulative"] == pytest.approx(sum(s["value"] for s in moves))
    decisions = get(api, people, "ann", "/finance/issues?detail=true&limit=3")
    assert [d["rank"] for d in decisions["items"]] == sorted(d["rank"] for d in decisions["items"])
    assert all(d["issues"] for d in decisions["items"])


def test_a_user_scoped_to_one_family_reads_only_that_family(
    api: TestClient, people: People, cycle: dict[str, Any], demo_frames: dict[str, pd.DataFrame]
) -> None:
    items = demo_frames["items"].set_index("code")["family"]
    rows = every(api, people, "sam", "/demand/plan?level=family")
    assert {r["member"] for r in rows} == {"HOS"}
    rows = every(api, people, "sam", "/demand/plan?level=item")
    assert rows and {items[r["member"]] for r in rows} == {"HOS"}
    # the total and a category over several families reach beyond hoses: not shown
    assert every(api, people, "sam", "/demand/plan?level=total") == []
    get(api, people, "sam", "/demand/plan/total/layers", status=403)
    get(api, people, "sam", "/demand/plan/family/layers?member=SPR", status=403)
    get(api, people, "sam", "/demand/plan?level=family&member=SPR", status=403)
    assert get(api, people, "sam", "/demand/plan/family/layers?member=HOS")["layers"]
    assert {r["family"] for r in every(api, people, "sam", "/demand/grid")} == {"HOS"}

    unmet = every(api, people, "sam", "/supply/unmet-demand")
    everyone = every(api, people, "ann", "/supply/unmet-demand")
    assert {items[r["item"]] for r in unmet} <= {"HOS"}
    assert len(unmet) == sum(items[r["item"]] == "HOS" for r in everyone)
    # a resource's hours are about its plant, not about any family
    assert every(api, people, "sam", "/supply/utilisation") == []
    assert every(api, people, "sam", "/supply/workforce") == []

    assert {r["family"] for r in every(api, people, "sam", "/finance/plan?level=family")} == {"HOS"}
    assert {r["family"] for r in every(api, people, "sam", "/finance/budget-variance")} == {"HOS"}
    refused = get(api, people, "sam", "/finance/plan?level=total", status=403)
    assert "whole company" in refused["detail"]
    get(api, people, "sam", "/finance/bridges/revenue", status=403)
    decisions = every(api, people, "sam", "/finance/issues?detail=true")
    assert decisions and all(i["family"] == "HOS" for d in decisions for i in d["issues"])


def test_a_plants_planner_reads_that_plants_resources(
    api: TestClient, people: People, cycle: dict[str, Any]
) -> None:
    used = every(api, people, "pat", "/supply/utilisation")
    assert used and {r["location"] for r in used} == {"PL-NORTH"}
    crews = every(api, people, "pat", "/supply/workforce")
    assert {r["location"] for r in crews} <= {"PL-NORTH"}
    # a family's plan is summed over every location: beyond one plant
    assert every(api, people, "pat", "/demand/plan?level=family") == []
    assert every(api, people, "pat", "/finance/plan?level=family") == []
