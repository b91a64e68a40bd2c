"""Safe concurrent edits: every editable thing has a version, shown as its ETag; a change names
it in If-Match (428 without), and one made on an older state is refused with 412 and the
current state. Two approvals at once: exactly one wins."""

from __future__ import annotations

import threading
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from oneplan.api.app import create_app
from oneplan.config import Settings
from oneplan.services.permissions import Role

from .conftest import People
from .test_routes import ASSUMPTION, OVERRIDE


@pytest.fixture
def draft(engine: sa.Engine, prepare: Any, people: People) -> int:
    """A draft demand plan, made by someone who is not a user; a planner and two executives."""
    version: int = prepare.store_consensus(engine)
    people.add("dana", Role.demand_planner)
    people.add("erin", Role.executive)
    people.add("eve", Role.executive)
    return version


def test_a_plan_move_needs_the_etag_of_the_state_it_was_made_on(
    api: TestClient, people: People, draft: int
) -> None:
    dana = people.as_("dana")
    shown = api.get(f"/plan-versions/{draft}", headers=dana)
    assert shown.headers["ETag"] == '"1"'
    missing = api.post(f"/plan-versions/{draft}/propose", headers=dana)
    assert missing.status_code == 428
    assert missing.json()["type"] == "urn:oneplan:problem:version-required"
    stale = api.post(f"/plan-versions/{draft}/propose", headers={**dana, "If-Match": '"7"'})
    assert stale.status_code == 412
    assert stale.json()["current"]["state"] == "draft"
    assert stale.headers["ETag"] == '"1"'
    weak = api.post(f"/plan-versions/{draft}/propose", headers={**dana, "If-Match": 'W/"1"'})
    assert weak.status_code == 412  # If-Match compares strongly: a weak tag never matches
    moved = api.post(f"/plan-versions/{draft}/propose", headers={**dana, "If-Match": '"1"'})
    assert moved.status_code == 200
    assert moved.headers["ETag"] == '"2"'
    erin = {**people.as_("erin"), "If-Match": '"1"'}
    late = api.post(f"/plan-versions/{draft}/approve", headers=erin)
    assert late.status_code == 412
    assert late.json()["current"]["state"] == "proposed"
    assert late.json()["current"]["version"] == 2
    assert api.get(f"/plan-versions/{draft}", headers=dana).json()["state"] == "proposed"


def test_an_override_a_scenario_and_a_user_refuse_stale_edits(
    api: TestClient, people: People, engine: sa.Engine, prepare: Any
) -> None:
    prepare.import_demo(engine)
    people.add("dana", Role.demand_planner)
    root, dana = people.as_("root"), people.as_("dana")

    made = api.post("/demand/overrides", json=OVERRIDE, headers=dana).json()[0]
    path = f"/demand/overrides/{made['id']}"
    assert api.get(path, headers=dana).headers["ETag"] == '"1"'
    assert api.delete(path, headers=dana).status_code == 428
    assert api.delete(path, headers={**dana, "If-Match": '"1"'}).status_code == 200
    again = api.delete(path, headers={**dana, "If-Match": '"1"'})
    assert again.status_code == 412
    assert again.json()["current"]["withdrawn_by"] == "dana"
    listed = api.get("/demand/overrides?state=withdrawn", headers=dana).json()
    assert [o["id"] for o in listed["items"]] == [made["id"]]
    assert api.get("/demand/overrides", headers=dana).json()["total"] == 0

    created = api.post("/scenarios", json={"name": "s1"}, headers=dana)
    assert created.headers["ETag"] == '"1"'
    grown = api.post(
        "/scenarios/s1/assumptions", json=ASSUMPTION, headers={**dana, "If-Match": '"1"'}
    )
    assert grown.headers["ETag"] == '"2"'
    stale = api.post(
        "/scenarios/s1/assumptions", json=ASSUMPTION, headers={**dana, "If-Match": '"1"'}
    )
    assert stale.status_code == 412
    assert len(stale.json()["current"]["assumptions"]) == 1
    assert api.delete("/scenarios/s1", headers={**dana, "If-Match": '"1"'}).status_code == 412
    assert api.delete("/scenarios/s1", headers={**dana, "If-Match": '"2"'}).status_code == 204

    etag = api.get("/users/dana", headers=root).headers["ETag"]
    granted = api.post(
        "/users/dana/grants", json={"role": "viewer"}, headers={**root, "If-Match": etag}
    )
    assert granted.status_code == 200 and granted.headers["ETag"] != etag
    stale_user = api.post(
        "/users/dana/grants", json={"role": "finance"}, headers={**root, "If-Match": etag}
    )
    assert stale_user.status_code == 412
    assert {g["role"] for g in stale_user.json()["current"]["grants"]} == {
        "demand_planner",
        "viewer",
    }


def test_two_approvals_at_once_one_wins(
    people: People, draft: int, engine: sa.Engine, api_settings: Settings, api: TestClient
) -> None:
    """Two executives approve the same proposed plan at the same moment, each on the state
    they read: one approval is stored, the other is refused (409 or 412), never both."""
    proposed = api.post(
        f"/plan-versions/{draft}/propose", headers={**people.as_("dana"), "If-Match": '"1"'}
    )
    etag = proposed.headers["ETag"]
    start = threading.Barrier(2)
    answers: dict[str, int] = {}

    def approve(who: str) -> None:
        with TestClient(create_app(api_settings, engine)) as client:
            headers = {**people.as_(who), "If-Match": etag}
            start.wait()
            answers[who] = client.post(
                f"/plan-versions/{draft}/approve", headers=headers
            ).status_code

    threads = [threading.Thread(target=approve, args=(who,)) for who in ("erin", "eve")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(answers.values())[0] == 200
    assert sorted(answers.values())[1] in (409, 412)
    with engine.connect() as connection:
        approvals = connection.execute(
            sa.text("SELECT count(*) FROM audit_events WHERE action = 'plan.approve'")
        ).scalar()
    assert approvals == 1
