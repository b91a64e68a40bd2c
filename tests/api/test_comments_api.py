"""Comments and the inbox over HTTP: a thread with a mention, the edit's ETag (412 when stale,
428 without If-Match), scope, the inbox a step's submission fills, and the e-mail setting; on
SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from oneplan.db.models import Family
from oneplan.db.session import unit_of_work
from oneplan.services.permissions import Role

from .conftest import People


@pytest.fixture
def staff(people: People, engine: sa.Engine) -> People:
    now = datetime.now(UTC)
    with unit_of_work(engine) as session:
        for code in ("HOS", "SPR"):
            session.add(
                Family(
                    code=code,
                    name=code,
                    category="GAR",
                    created_at=now,
                    created_by="t",
                    updated_at=now,
                    updated_by="t",
                )
            )
    people.add("dora", Role.demand_planner)
    people.add("sam", Role.supply_planner)
    people.add("sal", Role.sales, families=frozenset({"HOS"}))
    return people


def test_a_thread_with_a_mention_and_an_edit_named_by_its_etag(
    api: TestClient, staff: People
) -> None:
    body = {"kind": "family", "key": "HOS", "text": "@sal is the promotion on?"}
    made = api.post("/comments", json=body, headers=staff.as_("dora"))
    assert made.status_code == 201, made.text
    assert (made.json()["mentions"], made.headers["ETag"]) == (["sal"], '"1"')
    comment = made.json()["id"]
    inbox = api.get("/inbox", headers=staff.as_("sal")).json()
    assert inbox["unread"] == 1
    assert inbox["items"][0]["title"] == "dora mentioned you on the family HOS"
    answer = api.post(
        f"/comments/{comment}/replies", json={"text": "yes"}, headers=staff.as_("sal")
    )
    assert (answer.status_code, answer.json()["parent_id"]) == (201, comment)
    thread = api.get("/comments", params={"kind": "family", "key": "HOS"}, headers=staff.as_("sam"))
    assert [c["author"] for c in thread.json()["comments"]] == ["dora", "sal"]
    edit = {"text": "@sal is the May promotion on?"}
    assert (
        api.patch(f"/comments/{comment}", json=edit, headers=staff.as_("dora")).status_code == 428
    )
    tagged = {**staff.as_("dora"), "If-Match": '"1"'}
    edited = api.patch(f"/comments/{comment}", json=edit, headers=tagged)
    assert (edited.status_code, edited.headers["ETag"]) == (200, '"2"')
    stale = api.patch(f"/comments/{comment}", json={"text": "x"}, headers=tagged)
    assert stale.status_code == 412
    assert stale.json()["current"]["text"] == "@sal is the May promotion on?"
    theirs = api.patch(
        f"/comments/{comment}", json={"text": "x"}, headers={**staff.as_("sam"), "If-Match": "*"}
    )
    assert theirs.status_code == 403
    marked = api.post("/inbox/read", json={}, headers=staff.as_("sal"))
    assert (marked.status_code, marked.json()) == (200, {"marked": 1})


def test_out_of_scope_and_unknown_names_are_refused(api: TestClient, staff: People) -> None:
    spr = {"kind": "family", "key": "SPR", "text": "mine?"}
    assert api.post("/comments", json=spr, headers=staff.as_("sal")).status_code == 403
    nobody = {"kind": "family", "key": "HOS", "text": "@nobody look"}
    refused = api.post("/comments", json=nobody, headers=staff.as_("dora"))
    assert refused.status_code == 422
    assert refused.json()["problems"][0]["message"] == "@nobody is not a user of this database"
    missing = {"kind": "plan_version", "key": "99", "text": "?"}
    assert api.post("/comments", json=missing, headers=staff.as_("dora")).status_code == 404


def test_a_submission_fills_the_approvers_inbox_and_mail_is_set(
    api: TestClient, staff: People
) -> None:
    assert api.post("/cycles", json={"month": "2027-03"}, headers=staff.as_("dora")).is_success
    step = api.get("/cycles/2027-03/steps/gather_data", headers=staff.as_("dora"))
    moved = api.post(
        "/cycles/2027-03/steps/gather_data/submit",
        headers={**staff.as_("dora"), "If-Match": step.headers["ETag"]},
    )
    assert moved.status_code == 200, moved.text
    [notice] = api.get("/inbox", params={"unread": True}, headers=staff.as_("sam")).json()["items"]
    assert notice["kind"] == "approval_requested"
    assert notice["object_key"] == "2027-03/gather_data"
    assert api.get("/inbox/mail", headers=staff.as_("sam")).json() is None
    mail = {"address": "sam@example.com", "delivery": "daily"}
    assert api.put("/inbox/mail", json=mail, headers=staff.as_("sam")).json()["delivery"] == "daily"
    bad = api.put("/inbox/mail", json={"address": "sam at home"}, headers=staff.as_("sam"))
    assert bad.status_code == 422
    assert api.post("/inbox/remind", headers=staff.as_("sam")).status_code == 200
