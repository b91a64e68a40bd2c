"""The app itself: OpenAPI 3.1 with stable operation ids, docs served offline, security
headers, health and readiness."""

from __future__ import annotations

import re

import sqlalchemy as sa
from fastapi.testclient import TestClient

from oneplan.api.app import create_app
from oneplan.config import Settings
from oneplan.db import migrate

#: Clients call these names; changing one breaks them, so it is a decision, not an accident.
OPERATIONS = {
    "add_comment",
    "add_cycle_decision",
    "add_scenario_assumption",
    "approve_cycle_step",
    "approve_plan_version",
    "assign_cycle_step",
    "branch_scenario",
    "cancel_job",
    "change_password",
    "close_cycle_decision",
    "compare_scenarios",
    "create_demand_overrides",
    "create_my_token",
    "create_scenario",
    "create_user",
    "cycle_kpis",
    "delete_scenario",
    "diff_plan_version_rows",
    "diff_plan_versions",
    "download_executive_pack",
    "edit_comment",
    "explain_scenario",
    "export_data_package",
    "export_mps",
    "follow_job",
    "grant_role",
    "health",
    "import_data_package",
    "job_log",
    "list_audit_events",
    "list_comments",
    "list_cycle_decisions",
    "list_cycles",
    "list_data_imports",
    "list_demand_overrides",
    "list_jobs",
    "list_my_tokens",
    "list_plan_versions",
    "list_scenarios",
    "list_users",
    "log_in",
    "log_out",
    "make_executive_pack",
    "mark_read",
    "me",
    "open_cycle",
    "propose_plan_version",
    "read_budget_variance",
    "read_demand_grid",
    "read_demand_node_layers",
    "read_demand_plan",
    "read_financial_plan",
    "read_inbox",
    "read_money_bridge",
    "read_ranked_issues",
    "read_supply_binding_constraints",
    "read_supply_unmet_demand",
    "read_supply_utilisation",
    "read_supply_workforce",
    "ready",
    "reject_cycle_step",
    "release_plan_version",
    "remind_steps",
    "reopen_cycle_step",
    "reply_to_comment",
    "revoke_my_token",
    "revoke_role",
    "set_mail",
    "show_comment",
    "show_cycle",
    "show_cycle_step",
    "show_demand_override",
    "show_job",
    "show_mail",
    "show_plan_version",
    "show_scenario",
    "show_user",
    "submit_cycle_step",
    "submit_job",
    "supersede_plan_version",
    "validate_data_package",
    "verify_audit_chain",
    "withdraw_comment",
    "withdraw_demand_override",
}


def test_openapi_is_3_1_with_stable_operation_ids_and_both_ways_to_log_in(
    api: TestClient,
) -> None:
    spec = api.get("/openapi.json").json()
    assert spec["openapi"].startswith("3.1")
    found = {op["operationId"] for ops in spec["paths"].values() for op in ops.values()}
    assert found == OPERATIONS
    schemes = spec["components"]["securitySchemes"]
    assert schemes["APIKeyCookie"]["in"] == "cookie"
    assert schemes["HTTPBearer"]["scheme"] == "bearer"


def test_the_docs_load_nothing_from_elsewhere(api: TestClient) -> None:
    for page in ("/docs", "/redoc"):
        html = api.get(page).text
        assert not re.search(r"(src|href)=[\"']?(https?:)?//", html), page
        for asset in re.findall(r"/docs-assets/[\w.-]+", html):
            assert api.get(asset).status_code == 200, asset
        assert "'self'" in api.get(page).headers["content-security-policy"]


def test_the_docs_can_be_turned_off(engine: sa.Engine, api_settings: Settings) -> None:
    quiet = api_settings.model_copy(update={"api_docs": False})
    with TestClient(create_app(quiet, engine)) as client:
        assert client.get("/docs").status_code == 404
        assert client.get("/openapi.json").status_code == 200


def test_every_answer_carries_the_security_headers(api: TestClient) -> None:
    for path in ("/health", "/me", "/nowhere"):
        headers = api.get(path).headers
        assert headers["x-content-type-options"] == "nosniff"
        assert headers["x-frame-options"] == "DENY"
        assert headers["referrer-policy"] == "no-referrer"
        assert headers["content-security-policy"].startswith("default-src 'none'")
        assert headers["cache-control"] == "no-store"
        assert "strict-transport-security" not in headers
    assert api.get("/nowhere").headers["content-type"] == "application/problem+json"


def test_behind_tls_the_cookie_is_secure_and_hsts_is_sent(
    engine: sa.Engine, api_settings: Settings
) -> None:
    from oneplan.db.session import unit_of_work
    from oneplan.services.permissions import Grant, Role
    from oneplan.services.users.service import create_user

    from .conftest import ADMIN, PASSWORD

    with unit_of_work(engine) as session:
        create_user(session, ADMIN, "ann", password=PASSWORD, grants=[Grant(Role.admin)])
    secure = api_settings.model_copy(update={"secure_cookies": True})
    with TestClient(create_app(secure, engine), base_url="https://testserver") as client:
        assert "max-age" in client.get("/health").headers["strict-transport-security"]
        answer = client.post("/auth/login", json={"name": "ann", "password": PASSWORD})
        cookies = answer.headers.get_list("set-cookie")
        assert cookies and all("Secure" in line for line in cookies)


def test_ready_needs_the_schema_at_its_head(
    api: TestClient, make_engine: object, api_settings: Settings
) -> None:
    assert api.get("/ready").json() == {"status": "ready", "revision": migrate.head_revision()}
    old = make_engine("sqlite")  # type: ignore[operator]
    migrate.upgrade(old, "0008")
    with TestClient(create_app(api_settings, old)) as client:
        answer = client.get("/ready")
        assert answer.status_code == 503
        assert "oneplan db upgrade" in answer.json()["detail"]
        assert client.get("/health").status_code == 200


def test_an_unexpected_error_is_a_bare_500_problem(
    engine: sa.Engine, api_settings: Settings
) -> None:
    app = create_app(api_settings, engine)

    @app.get("/boom")
    def boom() -> None:
        raise RuntimeError("connection string postgres://secret@db")

    with TestClient(app, raise_server_exceptions=False) as client:
        answer = client.get("/boom")
    assert answer.status_code == 500
    assert answer.headers["content-type"] == "application/problem+json"
    assert "secret" not in answer.text
    assert answer.json()["detail"].startswith("the server met an error")
