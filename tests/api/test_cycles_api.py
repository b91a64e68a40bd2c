"""The S&OP month over HTTP: people of each role open a cycle and move its steps with the step's
ETag, four eyes on every sign-off, stale and missing If-Match, the executive meeting's plan, the
release that closes the month, and the decision log; on SQLite and PostgreSQL."""

from __future__ import annotations

import threading

import pandas as pd
import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from oneplan.api.app import create_app
from oneplan.config import Settings
from oneplan.db.session import unit_of_work
from oneplan.services.actor import Actor
from oneplan.services.permissions import Grant, Role
from oneplan.services.versions.store import save_version

from .conftest import PASSWORD, People

MONTH = "2027-03"
CYCLE = f"/cycles/{MONTH}"


@pytest.fixture
def staff(people: People) -> People:
    """A demand planner, a supply planner, finance, two executives and a viewer."""
    people.add("dora", Role.demand_planner, password=PASSWORD)
    people.add("sam", Role.supply_planner)
    people.add("fin", Role.finance)
    people.add("exa", Role.executive)
    people.add("eve", Role.executive)
    people.add("vic", Role.viewer)
    return people


def supply_plan(engine: sa.Engine, month: str) -> int:
    """A draft supply plan of ``month``, as a planning run stores it."""
    with unit_of_work(engine) as session:
        return save_version(
            session,
            Actor("sam", frozenset({Grant(Role.supply_planner)})),
            cycle=month,
            kind="supply",
            name=f"supply {month}",
            frames={"supply_plan": pd.DataFrame({"quantity": [1.0]})},
            settings={},
            summary={"status": "optimal"},
            input_hash=f"supply-{month}",
        ).id


def tag(api: TestClient, people: People, who: str, step: str) -> dict[str, str]:
    """``who``'s headers for a move on ``step``, with the step's current ETag."""
    shown = api.get(f"{CYCLE}/steps/{step}", headers=people.as_(who))
    assert shown.status_code == 200, shown.text
    return {**people.as_(who), "If-Match": shown.headers["ETag"]}


def move(
    api: TestClient, people: People, who: str, step: str, action: str, **body: object
) -> dict[str, object]:
    answer = api.post(
        f"{CYCLE}/steps/{step}/{action}", json=body or None, headers=tag(api, people, who, step)
    )
    assert answer.status_code == 200, answer.text
    found: dict[str, object] = answer.json()
    assert answer.headers["ETag"] == f'"{found["version"]}"'
    return found


def test_a_month_is_walked_by_its_people_through_the_api(
    api: TestClient, staff: People, engine: sa.Engine
) -> None:
    opened = api.post("/cycles", json={"month": MONTH}, headers=staff.as_("dora"))
    assert opened.status_code == 201, opened.text
    assert opened.json()["cycle"]["month"] == MONTH
    assert [c["month"] for c in api.get("/cycles", headers=staff.as_("vic")).json()] == [MONTH]
    assert api.post("/cycles", json={"month": MONTH}, headers=staff.as_("dora")).status_code == 409

    assert move(api, staff, "dora", "gather_data", "submit")["state"] == "submitted"
    assert move(api, staff, "sam", "gather_data", "approve")["decided_by"] == "sam"

    # four eyes: whoever submitted a step does not sign it off
    move(api, staff, "root", "demand_review", "submit")
    own = api.post(
        f"{CYCLE}/steps/demand_review/approve", headers=tag(api, staff, "root", "demand_review")
    )
    assert own.status_code == 403
    assert "submitted it" in own.json()["detail"]
    move(api, staff, "exa", "demand_review", "approve")

    # rejected, then submitted again and approved
    move(api, staff, "sam", "supply_review", "submit")
    rejected = move(api, staff, "exa", "supply_review", "reject", reason="capacity of line 2")
    assert rejected["state"] == "rejected"
    assert rejected["reason"] == "capacity of line 2"
    move(api, staff, "sam", "supply_review", "submit")
    move(api, staff, "eve", "supply_review", "approve")

    move(api, staff, "fin", "pre_sop", "submit")
    move(api, staff, "exa", "pre_sop", "approve")

    plan = supply_plan(engine, MONTH)
    put = move(api, staff, "sam", "executive_meeting", "submit", plan_version_id=plan)
    assert put["plan_version_id"] == plan
    assert api.get(f"/plan-versions/{plan}", headers=staff.as_("vic")).json()["state"] == "proposed"
    move(api, staff, "exa", "executive_meeting", "approve")
    assert api.get(f"/plan-versions/{plan}", headers=staff.as_("vic")).json()["state"] == "approved"

    move(api, staff, "sam", "release", "submit")
    move(api, staff, "eve", "release", "approve")
    closed = api.get(CYCLE, headers=staff.as_("vic")).json()
    assert closed["state"] == "closed"
    assert closed["plan_version_id"] == plan
    assert {s["state"] for s in closed["steps"]} == {"done"}
    assert api.get(f"/plan-versions/{plan}", headers=staff.as_("vic")).json()["state"] == "released"
    late = api.post(f"{CYCLE}/steps/release/submit", headers=tag(api, staff, "sam", "release"))
    assert late.status_code == 409


def test_a_move_needs_the_etag_of_the_step_it_was_made_on(api: TestClient, staff: People) -> None:
    api.post("/cycles", json={"month": MONTH}, headers=staff.as_("dora"))
    path = f"{CYCLE}/steps/gather_data/submit"
    missing = api.post(path, headers=staff.as_("dora"))
    assert missing.status_code == 428
    assert missing.json()["type"] == "urn:oneplan:problem:version-required"

    read = tag(api, staff, "dora", "gather_data")
    move(api, staff, "root", "gather_data", "assign", owner_user="dora")
    stale = api.post(path, headers=read)
    assert stale.status_code == 412
    assert stale.json()["current"]["owner_user"] == "dora"
    assert stale.headers["ETag"] == f'"{stale.json()["current"]["version"]}"'
    assert api.post(path, headers={**read, "If-Match": stale.headers["ETag"]}).status_code == 200

    # two approvers read the same submitted step: the first signs it off, the second is told
    sam = tag(api, staff, "sam", "gather_data")
    assert api.post(f"{CYCLE}/steps/gather_data/approve", headers=sam).status_code == 200
    again = api.post(f"{CYCLE}/steps/gather_data/approve", headers=sam)
    assert again.status_code == 412
    assert again.json()["current"]["state"] == "approved"

    reopened = api.post(
        f"{CYCLE}/steps/gather_data/reopen",
        json={"reason": "late sales data"},
        headers=tag(api, staff, "sam", "gather_data"),
    )
    assert reopened.status_code == 200, reopened.text
    assert [s["name"] for s in reopened.json()] == ["gather_data", "demand_review"]
    assert reopened.headers["ETag"] == f'"{reopened.json()[0]["version"]}"'

    unknown = api.post(f"{CYCLE}/steps/lunch/submit", headers={**read, "If-Match": "*"})
    assert unknown.status_code == 422
    assert api.get("/cycles/2031-01", headers=staff.as_("vic")).status_code == 404


def test_two_sign_offs_at_once_one_wins(
    api: TestClient, staff: People, engine: sa.Engine, api_settings: Settings
) -> None:
    """Two executives approve the same submitted step at the same moment, each on the version
    they read: one sign-off is stored, the other refused (409 or 412), never both."""
    api.post("/cycles", json={"month": MONTH}, headers=staff.as_("dora"))
    move(api, staff, "dora", "gather_data", "submit")
    move(api, staff, "sam", "gather_data", "approve")
    move(api, staff, "dora", "demand_review", "submit")
    etag = api.get(f"{CYCLE}/steps/demand_review", headers=staff.as_("exa")).headers["ETag"]
    start = threading.Barrier(2)
    answers: dict[str, int] = {}

    def approve(who: str) -> None:
        with TestClient(create_app(api_settings, engine)) as client:
            headers = {**staff.as_(who), "If-Match": etag}
            start.wait()
            answer = client.post(f"{CYCLE}/steps/demand_review/approve", headers=headers)
            answers[who] = answer.status_code

    threads = [threading.Thread(target=approve, args=(who,)) for who in ("exa", "eve")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(answers.values())[0] == 200
    assert sorted(answers.values())[1] in (409, 412)
    with engine.connect() as connection:
        approvals = connection.execute(
            sa.text("SELECT count(*) FROM audit_events WHERE action = 'cycle.step.approve'")
        ).scalar()
    assert approvals == 2  # gather data, and the demand review once


def test_a_viewer_reads_the_month_and_moves_nothing(api: TestClient, staff: People) -> None:
    assert api.post("/cycles", json={"month": MONTH}, headers=staff.as_("vic")).status_code == 403
    api.post("/cycles", json={"month": MONTH}, headers=staff.as_("dora"))
    assert api.get(CYCLE, headers=staff.as_("vic")).status_code == 200
    refused = api.post(
        f"{CYCLE}/steps/gather_data/submit", headers=tag(api, staff, "vic", "gather_data")
    )
    assert refused.status_code == 403
    assert refused.json()["type"] == "urn:oneplan:problem:permission-denied"
    body = {"text": "raise safety stock", "owner": "sam"}
    assert api.post(f"{CYCLE}/decisions", json=body, headers=staff.as_("vic")).status_code == 403
    assert api.get("/cycles").status_code == 401


def test_decisions_are_added_listed_and_closed_with_their_etag(
    api: TestClient, staff: People
) -> None:
    api.post("/cycles", json={"month": MONTH}, headers=staff.as_("dora"))
    exa = staff.as_("exa")
    body = {"text": "add a second shift in May", "owner": "sam", "due_on": "2027-04-30"}
    added = api.post(f"{CYCLE}/decisions", json=body, headers=exa)
    assert added.status_code == 201, added.text
    decision = added.json()
    assert decision["status"] == "open"
    assert added.headers["ETag"] == f'"{decision["version"]}"'
    listed = api.get(f"{CYCLE}/decisions?status=open", headers=staff.as_("vic")).json()
    assert [d["id"] for d in listed] == [decision["id"]]
    assert api.get("/cycles/2031-01/decisions", headers=exa).status_code == 404

    path = f"/decisions/{decision['id']}/close"
    done = {"status": "done", "note": "agreed with the works council"}
    assert api.post(path, json=done, headers=exa).status_code == 428
    stale = api.post(path, json=done, headers={**exa, "If-Match": '"99"'})
    assert stale.status_code == 412
    assert stale.json()["current"]["status"] == "open"
    # the decision's owner may close it, though they do not write the minutes
    closed = api.post(
        path, json=done, headers={**staff.as_("sam"), "If-Match": stale.headers["ETag"]}
    )
    assert closed.status_code == 200, closed.text
    assert closed.json()["closed_by"] == "sam"
    assert closed.json()["note"] == "agreed with the works council"
    again = api.post(path, json=done, headers={**exa, "If-Match": closed.headers["ETag"]})
    assert again.status_code == 409
    assert api.get(f"{CYCLE}/decisions?status=open", headers=exa).json() == []
    missing = api.post("/decisions/999/close", json=done, headers={**exa, "If-Match": '"1"'})
    assert missing.status_code == 404


def test_a_move_with_the_session_cookie_needs_the_csrf_token(
    api: TestClient, staff: People
) -> None:
    api.post("/cycles", json={"month": MONTH}, headers=staff.as_("root"))
    _, csrf = staff.log_in("dora")
    etag = api.get(f"{CYCLE}/steps/gather_data").headers["ETag"]
    path = f"{CYCLE}/steps/gather_data/submit"
    refused = api.post(path, headers={"If-Match": etag})
    assert refused.status_code == 403
    assert "X-CSRF-Token" in refused.json()["detail"]
    assert api.get(CYCLE).json()["steps"][0]["state"] == "in_progress"
    submitted = api.post(path, headers={**csrf, "If-Match": etag})
    assert submitted.status_code == 200, submitted.text
    assert submitted.json()["submitted_by"] == "dora"
