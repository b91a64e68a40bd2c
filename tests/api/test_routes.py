"""Every route over both databases: who may call it (401 without anyone, 403 for a role that
may not), the scope of a grant, and answers that name what was wrong."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from oneplan.services.permissions import ROLE_PERMISSIONS, Permission, Role

from .conftest import People

PUBLIC = {"/health", "/ready", "/auth/login"}
OVERRIDE = {
    "level": "family",
    "member": "HOS",
    "period": "2027-03",
    "kind": "relative",
    "value": 5,
    "reason": "trade fair",
}
ASSUMPTION = {
    "kind": "demand_change",
    "target_level": "family",
    "target": "HOS",
    "value": 10,
    "unit": "percent",
}


@pytest.fixture
def stocked(engine: sa.Engine, prepare: Any, people: People, api: TestClient) -> dict[str, Any]:
    """The demo company, a demand plan (draft), an override, a scenario, and one user of
    each role with a token."""
    prepare.import_demo(engine)
    version = prepare.store_consensus(engine)
    for role in Role:
        people.add(role.value, role)
    made = api.post("/demand/overrides", json=OVERRIDE, headers=people.as_("root"))
    assert made.status_code == 201, made.text
    scenario = {"name": "hot summer", "assumptions": [ASSUMPTION]}
    assert api.post("/scenarios", json=scenario, headers=people.as_("root")).status_code == 201
    return {"version": version, "override": made.json()[0]["id"]}


def test_every_route_but_health_and_log_in_needs_someone(api: TestClient) -> None:
    paths = api.get("/openapi.json").json()["paths"]
    assert len(paths) > 20
    for template, operations in paths.items():
        path = template.format(
            version_id=1,
            override_id=1,
            name="x",
            role="viewer",
            token_id=1,
            month="2027-03",
            step="release",
            decision_id=1,
            job_id=1,
            a=1,
            b=2,
            frame="consensus",
            comment_id=1,
            level="family",
            measure="revenue",
        )
        for method in operations:
            answer = api.request(method, path, json={}, headers={"If-Match": "*"})
            expected = 200 if template in PUBLIC and method == "get" else 401
            if template == "/auth/login":
                expected = 422  # no name, no password: said so before anything else
            assert answer.status_code == expected, (method, template, answer.text)
            if expected == 401:
                assert answer.headers["content-type"] == "application/problem+json"


#: Each change, with the permission it needs.
CHANGES = [
    ("POST", "/plan-versions/{version}/propose", None, Permission.propose_plan),
    ("POST", "/plan-versions/{version}/approve", None, Permission.approve_plan),
    ("POST", "/plan-versions/{version}/release", None, Permission.release_plan),
    ("POST", "/plan-versions/{version}/supersede", {"reason": "x"}, Permission.propose_plan),
    ("POST", "/demand/overrides", OVERRIDE, Permission.override_demand),
    ("DELETE", "/demand/overrides/{override}", None, Permission.override_demand),
    ("POST", "/scenarios", {"name": "cold winter"}, Permission.edit_scenario),
    ("POST", "/scenarios/hot summer/assumptions", ASSUMPTION, Permission.edit_scenario),
    ("POST", "/scenarios/hot summer/branches", {"name": "hotter"}, Permission.edit_scenario),
    ("POST", "/scenarios/hot summer/explanations", None, Permission.run_scenario),
    ("DELETE", "/scenarios/hot summer", None, Permission.edit_scenario),
    ("POST", "/executive-pack", None, Permission.write_report),
    ("POST", "/users", {"name": "newcomer"}, Permission.manage_users),
    ("POST", "/users/viewer/grants", {"role": "sales"}, Permission.manage_users),
    ("DELETE", "/users/viewer/grants/viewer", None, Permission.manage_users),
]
READS = [
    "/me",
    "/plan-versions",
    "/plan-versions/{version}",
    "/demand/overrides",
    "/demand/overrides/{override}",
    "/scenarios",
    "/scenarios/hot summer",
    "/audit/events",
    "/audit/verify",
    "/users",
    "/users/viewer",
]


def test_each_role_is_refused_the_changes_it_may_not_make_and_reads_everything(
    api: TestClient, people: People, stocked: dict[str, Any], engine: sa.Engine
) -> None:
    with engine.connect() as connection:
        events_before = connection.execute(sa.text("SELECT count(*) FROM audit_events")).scalar()
    for role in Role:
        headers = {**people.as_(role.value), "If-Match": "*"}
        for method, path, body, needed in CHANGES:
            if needed in ROLE_PERMISSIONS[role]:
                continue
            answer = api.request(method, path.format(**stocked), json=body, headers=headers)
            assert answer.status_code == 403, (role, method, path, answer.text)
            assert needed.value in answer.json()["detail"]
        for path in READS:
            answer = api.get(path.format(**stocked), headers=people.as_(role.value))
            assert answer.status_code == 200, (role, path, answer.text)
    with engine.connect() as connection:
        events_after = connection.execute(sa.text("SELECT count(*) FROM audit_events")).scalar()
    assert events_after == events_before  # nothing refused left a trace of a change


def test_the_roles_that_may_make_each_change_make_it(
    api: TestClient, people: People, stocked: dict[str, Any]
) -> None:
    """The plan's life by its roles, an override withdrawn, a scenario grown and deleted, a
    user made and granted: each by the role the matrix names."""

    def call(who: str, method: str, path: str, body: Any = None, status: int = 200) -> Any:
        shown = api.get(path.rsplit("/", 1)[0], headers=people.as_(who))
        headers = {**people.as_(who), "If-Match": shown.headers.get("ETag", "*")}
        answer = api.request(method, path, json=body, headers=headers)
        assert answer.status_code == status, (who, method, path, answer.text)
        return answer.json() if answer.content else None

    v = stocked["version"]
    assert call("demand_planner", "POST", f"/plan-versions/{v}/propose")["version"]["state"] == (
        "proposed"
    )
    call("executive", "POST", f"/plan-versions/{v}/approve")
    call("supply_planner", "POST", f"/plan-versions/{v}/release")
    assert call("executive", "POST", f"/plan-versions/{v}/supersede")["state"] == "superseded"
    withdrawn = call("sales", "DELETE", f"/demand/overrides/{stocked['override']}")
    assert withdrawn["withdrawn_by"] == "sales"
    grown = call("finance", "POST", "/scenarios/hot summer/assumptions", ASSUMPTION)
    assert len(grown["assumptions"]) == 2
    call("supply_planner", "DELETE", "/scenarios/hot summer", status=204)
    made = api.post("/users", json={"name": "newcomer"}, headers=people.as_("admin"))
    assert made.status_code == 201
    granted = call(
        "admin", "POST", "/users/newcomer/grants", {"role": "sales", "families": ["HOS"]}
    )
    assert [g["role"] for g in granted["grants"]] == ["sales"]
    assert call("admin", "DELETE", "/users/newcomer/grants/sales")["grants"] == []


def test_a_sales_manager_of_one_family_overrides_that_family_only(
    api: TestClient, people: People, stocked: dict[str, Any]
) -> None:
    people.add("sam", Role.sales, families=frozenset({"HOS"}))
    sam = people.as_("sam")
    other = api.post("/demand/overrides", json={**OVERRIDE, "member": "SPR"}, headers=sam)
    assert other.status_code == 403
    assert "family SPR" in other.json()["detail"]
    garden = api.post(
        "/demand/overrides", json={**OVERRIDE, "level": "category", "member": "Garden"}, headers=sam
    )
    assert garden.status_code == 403
    item = api.post(
        "/demand/overrides", json={**OVERRIDE, "level": "item", "member": "HOS-0001"}, headers=sam
    )
    assert item.status_code == 201, item.text
    spr = api.post(
        "/demand/overrides", json={**OVERRIDE, "member": "SPR"}, headers=people.as_("root")
    ).json()[0]
    taken_back = api.delete(f"/demand/overrides/{spr['id']}", headers={**sam, "If-Match": '"1"'})
    assert taken_back.status_code == 403
    mine = api.delete(
        f"/demand/overrides/{item.json()[0]['id']}", headers={**sam, "If-Match": '"1"'}
    )
    assert mine.status_code == 200


def test_problems_are_located_by_file_row_and_column(
    api: TestClient, people: People, stocked: dict[str, Any]
) -> None:
    root = people.as_("root")
    bad = {**OVERRIDE, "member": "NOPE", "period": "2031-01"}
    answer = api.post("/demand/overrides", json=bad, headers=root)
    assert answer.status_code == 422
    assert answer.headers["content-type"] == "application/problem+json"
    document = answer.json()
    assert document["type"] == "urn:oneplan:problem:validation-failed"
    assert document["status"] == 422 and document["instance"] == "/demand/overrides"
    columns = {p["column"] for p in document["problems"]}
    assert {"member", "period"} <= columns
    assert all(set(p) == {"file", "row", "column", "message"} for p in document["problems"])
    unparsed = api.post("/demand/overrides", json={**OVERRIDE, "kind": "sideways"}, headers=root)
    assert unparsed.status_code == 422
    assert unparsed.json()["problems"][0]["file"] == "request body"
    assert unparsed.json()["problems"][0]["column"] == "kind"
    query = api.get("/plan-versions?limit=0", headers=root)
    assert query.status_code == 422
    assert query.json()["problems"][0] == {
        "file": "request query",
        "row": None,
        "column": "limit",
        "message": "Input should be greater than or equal to 1",
    }
    missing = api.get("/plan-versions/999999", headers=root)
    assert missing.status_code == 404
    assert missing.json()["type"] == "urn:oneplan:problem:not-found"


def test_plan_versions_come_a_page_at_a_time_with_filters(
    api: TestClient, people: People, stocked: dict[str, Any], prepare: Any, engine: sa.Engine
) -> None:
    for cycle in ("2027-02", "2027-03"):
        prepare.store_consensus(engine, cycle=cycle)
    root = people.as_("root")
    page = api.get("/plan-versions?limit=2", headers=root).json()
    assert page["total"] == 3 and len(page["items"]) == 2 and page["limit"] == 2
    assert [v["cycle"] for v in page["items"]] == ["2027-03", "2027-02"]
    rest = api.get("/plan-versions?limit=2&offset=2", headers=root).json()
    assert [v["cycle"] for v in rest["items"]] == ["2027-01"]
    one = api.get("/plan-versions?cycle=2027-02&kind=demand&state=draft", headers=root).json()
    assert one["total"] == 1
    assert api.get("/plan-versions?state=lost", headers=root).status_code == 422
