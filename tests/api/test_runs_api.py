"""Scenarios compared, branched and explained, plan versions diffed a page at a time, the MPS
and the executive pack downloaded: over HTTP on both databases, through the services the
commands call."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from oneplan.config import Settings
from oneplan.db.session import unit_of_work
from oneplan.runner import run_phased
from oneplan.services.actor import Actor
from oneplan.services.finance.service import finance_run
from oneplan.services.jobs.schemas import JobState
from oneplan.services.permissions import Role
from oneplan.services.scenario.service import scenario_run
from oneplan.services.versions.lifecycle import transition
from oneplan.worker import Worker

from .conftest import ADMIN, People

PRESS_DOWN = {
    "kind": "capacity_change",
    "target_level": "resource",
    "target": "INJ-N1",
    "period_from": "2027-03-01",
    "period_to": "2027-03-01",
    "value": -100,
    "unit": "percent",
}
HOSES_UP = {
    "kind": "demand_change",
    "target_level": "family",
    "target": "HOS",
    "value": 10,
    "unit": "percent",
}


@pytest.fixture
def scenario_run_once(
    planned: tuple[sa.Engine, pd.DataFrame], api: TestClient, people: People
) -> sa.Engine:
    """The base plan, scenario ``press down`` created over HTTP and run once."""
    engine, _ = planned
    people.add("sam", Role.supply_planner)
    body = {"name": "press down", "assumptions": [PRESS_DOWN]}
    assert api.post("/scenarios", json=body, headers=people.as_("sam")).status_code == 201
    run_phased(engine, scenario_run(ADMIN, "press down"))
    return engine


def test_scenarios_are_compared_side_by_side_with_the_base(
    scenario_run_once: sa.Engine, api: TestClient, people: People
) -> None:
    people.add("vera", Role.viewer)
    answer = api.get("/scenario-comparison?name=press down&largest=3", headers=people.as_("vera"))
    assert answer.status_code == 200, answer.text
    found = answer.json()
    assert list(found["versions"]) == ["base", "press down"]
    kpis = {row["kpi"]: row for row in found["kpis"]}
    assert {"total cost", "service level on time", "unmet units"} <= set(kpis)
    assert kpis["service level on time"]["share"] and not kpis["total cost"]["share"]
    assert set(kpis["total cost"]["values"]) == {"base", "press down"}
    assert kpis["total cost"]["values"]["press down"] > kpis["total cost"]["values"]["base"]
    assert any(k.startswith("utilisation ") for k in kpis)
    diff = found["diffs"]["press down"]
    assert diff["keys"] == ["item", "location", "period"] and diff["changed"] > 0
    assert 0 < len(diff["largest"]) <= 3
    assert all(k.endswith("_change") for k in diff["largest"][0] if k not in diff["keys"])
    assert api.get("/scenario-comparison", headers=people.as_("vera")).status_code == 422


def test_a_scenario_not_run_or_unknown_cannot_be_compared(
    scenario_run_once: sa.Engine, api: TestClient, people: People
) -> None:
    sam = people.as_("sam")
    api.post("/scenarios", json={"name": "idle"}, headers=sam)
    idle = api.get("/scenario-comparison?name=press down&name=idle", headers=sam)
    assert idle.status_code == 404 and "has not been run yet" in idle.json()["detail"]
    unknown = api.get("/scenario-comparison?name=nowhere", headers=sam)
    assert unknown.status_code == 404 and "no scenario 'nowhere'" in unknown.json()["detail"]


def test_a_scenario_branches_from_a_scenario(api: TestClient, people: People) -> None:
    people.add("dana", Role.demand_planner)
    people.add("vera", Role.viewer)
    dana = people.as_("dana")
    api.post("/scenarios", json={"name": "hot summer", "assumptions": [HOSES_UP]}, headers=dana)
    before = api.get("/scenarios/hot summer", headers=dana)
    branch = {"name": "hotter summer", "description": "and more", "assumptions": [HOSES_UP]}
    made = api.post("/scenarios/hot summer/branches", json=branch, headers=dana)
    assert made.status_code == 201, made.text
    assert made.headers["ETag"] == '"1"'
    shown = made.json()
    assert shown["parent"] == "hot summer" and shown["description"] == "and more"
    assert [(a["scenario"], a["position"]) for a in shown["assumptions"]] == [
        ("hot summer", 1),
        ("hotter summer", 2),
    ]
    after = api.get("/scenarios/hot summer", headers=dana)
    assert after.headers["ETag"] == before.headers["ETag"]  # the parent is not changed
    again = api.post("/scenarios/hot summer/branches", json=branch, headers=dana)
    assert again.status_code == 409 and "exists already" in again.json()["detail"]
    orphan = api.post("/scenarios/nowhere/branches", json={"name": "x"}, headers=dana)
    assert orphan.status_code == 404
    refused = api.post(
        "/scenarios/hot summer/branches", json={"name": "y"}, headers=people.as_("vera")
    )
    assert refused.status_code == 403
    deleted = api.delete("/scenarios/hot summer", headers={**dana, "If-Match": "*"})
    assert deleted.status_code == 409 and "hotter summer" in deleted.json()["detail"]


def test_a_scenarios_kpi_change_is_explained_by_assumption_in_a_job(
    scenario_run_once: sa.Engine, api: TestClient, people: People, api_settings: Settings
) -> None:
    people.add("vera", Role.viewer)
    assert (
        api.post("/scenarios/press down/explanations", headers=people.as_("vera")).status_code
        == 403
    )
    missing = api.post("/scenarios/nowhere/explanations", headers=people.as_("sam"))
    assert missing.status_code == 404
    asked = api.post("/scenarios/press down/explanations", headers=people.as_("sam"))
    assert asked.status_code == 202, asked.text
    assert asked.json()["kind"] == "explain"
    assert asked.headers["Location"] == f"/jobs/{asked.json()['id']}"
    ran = Worker(scenario_run_once, api_settings).run_once()
    assert ran == (asked.json()["id"], JobState.succeeded)
    step = api.get(asked.headers["Location"], headers=people.as_("vera")).json()["result"]["steps"][
        0
    ]
    rows = pd.DataFrame(step["rows"])
    assert list(rows.columns) == ["position", "kind", "target", "kpi", "before", "after", "change"]
    assert set(rows["target"]) == {"INJ-N1"}
    cost = rows[rows["kpi"] == "total cost"].iloc[0]
    assert cost["change"] == pytest.approx(cost["after"] - cost["before"])
    assert step["figures"] == [{"label": "assumptions", "value": 1, "kind": "count", "unit": ""}]


def test_two_plan_versions_are_diffed_a_page_of_rows_at_a_time(
    engine: sa.Engine, prepare: Any, api: TestClient, people: People, hand_consensus: pd.DataFrame
) -> None:
    prepare.import_demo(engine)
    a = prepare.store_consensus(engine)
    more = hand_consensus.assign(quantity=hand_consensus["quantity"] * 1.1)
    more.loc[more.index[:5], "quantity"] = hand_consensus["quantity"].iloc[:5]  # 5 unchanged
    b = prepare.store_consensus(engine, more.iloc[:-3])  # 3 rows fewer
    people.add("vera", Role.viewer)
    vera = people.as_("vera")

    found = api.get(f"/plan-versions/{a}/diff/{b}", headers=vera)
    assert found.status_code == 200, found.text
    view = found.json()
    assert (view["a"]["id"], view["b"]["id"]) == (a, b)
    consensus = {f["name"]: f for f in view["frames"]}["consensus"]
    changed = len(hand_consensus) - 3 - 5
    assert (consensus["added"], consensus["removed"], consensus["changed"]) == (0, 3, changed)
    assert consensus["unchanged"] == 5
    totals = {t["column"]: t for t in consensus["totals"]}
    assert totals["quantity"]["a"] == pytest.approx(hand_consensus["quantity"].sum())

    rows = f"/plan-versions/{a}/diff/{b}/consensus"
    first = api.get(f"{rows}?limit=10", headers=vera).json()
    second = api.get(f"{rows}?limit=10&offset=10", headers=vera).json()
    assert first["total"] == second["total"] == changed and first["rows"] == "changed"
    assert len(first["items"]) == len(second["items"]) == 10
    assert first["items"][0]["quantity_change"] == pytest.approx(
        first["items"][0]["quantity_a"] * 0.1
    )
    assert first["items"][0]["period"].startswith("2027-")
    keys = {tuple(r[k] for k in first["keys"]) for r in first["items"] + second["items"]}
    assert len(keys) == 20  # the pages do not overlap
    removed = api.get(f"{rows}?rows=removed", headers=vera).json()
    assert removed["total"] == 3 and len(removed["items"]) == 3
    assert api.get(f"{rows}?rows=sideways", headers=vera).status_code == 422
    assert api.get(f"{rows}?limit=0", headers=vera).status_code == 422

    nothing = api.get(f"/plan-versions/{a}/diff/{b}/nothing", headers=vera)
    assert nothing.status_code == 404 and "no frame nothing" in nothing.json()["detail"]
    assert api.get(f"/plan-versions/{a}/diff/999", headers=vera).status_code == 404
    prepare.run_supply(engine)
    supply = api.get("/plan-versions?kind=supply", headers=vera).json()["items"][0]["id"]
    other_kind = api.get(f"/plan-versions/{a}/diff/{supply}", headers=vera)
    assert other_kind.status_code == 409 and "same kind" in other_kind.json()["detail"]


def _release(engine: sa.Engine, version_id: int) -> None:
    """Propose, approve (someone else) and release: the plan in force."""
    with unit_of_work(engine) as session:
        transition(session, ADMIN, version_id, "propose")
        transition(session, Actor.administrator("ann"), version_id, "approve")
        transition(session, ADMIN, version_id, "release")


def test_the_mps_of_the_released_plan_is_downloaded_as_csv(
    planned: tuple[sa.Engine, pd.DataFrame], api: TestClient, people: People
) -> None:
    engine, _ = planned
    people.add("sam", Role.supply_planner)
    people.add("vera", Role.viewer)
    sam = people.as_("sam")
    draft = api.get("/mps", headers=sam)
    assert draft.status_code == 200, draft.text
    assert "no supply plan is released yet" in draft.headers["X-Plan-Note"]
    supply = int(draft.headers["X-Plan-Version"])
    _release(engine, supply)

    answer = api.get("/mps?lot_size=10", headers=sam)
    assert answer.status_code == 200 and "X-Plan-Note" not in answer.headers
    assert answer.headers["content-type"].startswith("text/csv")
    assert answer.headers["X-Plan-Version"] == str(supply)
    assert f'filename="mps_month-v{supply}.csv"' in answer.headers["content-disposition"]
    schedule = pd.read_csv(io.StringIO(answer.text))
    assert {"item", "location", "period", "quantity"} <= set(schedule.columns)
    assert (schedule["quantity"] % 10 == 0).all() and schedule["quantity"].sum() > 0

    both = api.get("/mps?grain=both", headers=sam)
    assert both.headers["content-type"] == "application/zip"
    assert sorted(zipfile.ZipFile(io.BytesIO(both.content)).namelist()) == [
        "mps_month.csv",
        "mps_week.csv",
    ]
    workbook = api.get("/mps?format=xlsx&grain=week", headers=sam)
    assert workbook.content[:2] == b"PK" and "xlsx" in workbook.headers["content-disposition"]
    refused = api.get("/mps", headers=people.as_("vera"))
    assert refused.status_code == 403 and "export_mps" in refused.json()["detail"]
    assert api.get("/mps?version=999", headers=sam).status_code == 404


def test_the_executive_pack_is_made_by_a_job_and_downloaded(
    planned: tuple[sa.Engine, pd.DataFrame],
    api: TestClient,
    people: People,
    api_settings: Settings,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    engine, _ = planned
    monkeypatch.chdir(tmp_path)  # the pack is written under reports/ of the server's folder
    run_phased(engine, finance_run(ADMIN))
    people.add("fay", Role.finance)
    people.add("vera", Role.viewer)
    assert api.post("/executive-pack", headers=people.as_("vera")).status_code == 403
    asked = api.post("/executive-pack", headers=people.as_("fay"))
    assert asked.status_code == 202, asked.text
    job = asked.json()["id"]
    early = api.get(f"/executive-pack/{job}", headers=people.as_("vera"))
    assert early.status_code == 409 and "is queued" in early.json()["detail"]
    assert Worker(engine, api_settings).run_once() == (job, JobState.succeeded)

    pdf = api.get(f"/executive-pack/{job}", headers=people.as_("vera"))
    assert pdf.status_code == 200, pdf.text
    assert pdf.headers["content-type"] == "application/pdf" and pdf.content[:5] == b"%PDF-"
    assert 'filename="sop-pack-' in pdf.headers["content-disposition"]
    html = api.get(f"/executive-pack/{job}?format=html", headers=people.as_("vera"))
    assert html.headers["content-type"].startswith("text/html") and b"<html" in html.content
    xlsx = api.get(f"/executive-pack/{job}?format=xlsx", headers=people.as_("vera"))
    assert xlsx.content[:2] == b"PK"
    assert (
        api.get(f"/executive-pack/{job}?format=doc", headers=people.as_("vera")).status_code == 422
    )

    ping = api.post("/jobs", json={"kind": "ping"}, headers=people.as_("vera")).json()["id"]
    Worker(engine, api_settings).run_once()
    none = api.get(f"/executive-pack/{ping}", headers=people.as_("vera"))
    assert none.status_code == 404 and "wrote no pdf file" in none.json()["detail"]
    assert api.get("/executive-pack/999", headers=people.as_("vera")).status_code == 404
