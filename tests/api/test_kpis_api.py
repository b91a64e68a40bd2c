"""KPIs cycle over cycle over HTTP: GET /cycles/kpis answers each closed cycle's KPIs, says
what it cannot measure and why, and is read by anyone who reads the company; on SQLite and
PostgreSQL."""

from __future__ import annotations

import pandas as pd
import sqlalchemy as sa
from fastapi.testclient import TestClient

from oneplan.db.session import unit_of_work
from oneplan.services.actor import Actor
from oneplan.services.cycle.moves import approve_step, submit_step
from oneplan.services.cycle.service import open_cycle
from oneplan.services.permissions import Grant, Role
from oneplan.services.versions.store import save_version

from .conftest import People

ADMIN = Actor.administrator("root")
STEPS = ("gather_data", "demand_review", "supply_review", "pre_sop", "executive_meeting", "release")


def closed_month(engine: sa.Engine, month: str) -> None:
    """A month opened, walked and released on a supply plan that has no frames to measure."""
    with unit_of_work(engine) as session:
        open_cycle(session, ADMIN, month)
        version = save_version(
            session,
            Actor("sam", frozenset({Grant(Role.supply_planner)})),
            cycle=month,
            kind="supply",
            name=f"supply {month}",
            frames={"supply_plan": pd.DataFrame({"quantity": [1.0]})},
            settings={},
            summary={"status": "optimal"},
            input_hash="h",
        ).id
    for step in STEPS:
        extra = {"plan_version_id": version} if step == "executive_meeting" else {}
        with unit_of_work(engine) as session:
            submit_step(session, ADMIN, step, month=month, **extra)
        with unit_of_work(engine) as session:
            approve_step(session, Actor.administrator("eva"), step, month=month)


def test_the_kpis_of_closed_cycles_say_what_they_cannot_measure(
    api: TestClient, people: People, engine: sa.Engine
) -> None:
    people.add("vic", Role.viewer)
    empty = api.get("/cycles/kpis", headers=people.as_("vic"))
    assert empty.status_code == 200
    assert empty.json()["cycles"] == [] and empty.json()["kpis"] == []

    closed_month(engine, "2027-03")
    answer = api.get("/cycles/kpis", headers=people.as_("vic"))
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["cycles"] == ["2027-03"]
    by_kpi = {(k["kpi"], k["layer"], k["lag"]): k for k in body["kpis"]}
    assert by_kpi[("sop_cycle_time", "", None)]["basis"] == "record"
    assert by_kpi[("sop_cycle_time", "", None)]["value"] >= 0
    assert by_kpi[("forecast_wape", "consensus", 1)]["value"] is None
    assert by_kpi[("forecast_wape", "consensus", 1)]["basis"] == "missing"
    assert by_kpi[("production_adherence", "", None)]["note"]
    only = api.get("/cycles/kpis?month=2027-03&month=2027-04", headers=people.as_("vic"))
    assert only.json()["cycles"] == ["2027-03"]


def test_kpis_need_a_reader_and_a_month_written_yyyy_mm(api: TestClient, people: People) -> None:
    people.add("vic", Role.viewer)
    assert api.get("/cycles/kpis").status_code == 401
    bad = api.get("/cycles/kpis?month=2027-3", headers=people.as_("vic"))
    assert bad.status_code == 422
    assert "month" in bad.text
