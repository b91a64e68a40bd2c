"""Requests generated from the OpenAPI description (schemathesis): whatever a client sends
within or outside the described shapes, no operation fails with a server error, and every
answer matches what the description promises (status, content type, body)."""

from __future__ import annotations

from typing import Any

import pytest
import schemathesis
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from schemathesis.specs.openapi.checks import ignored_auth, positive_data_acceptance

from oneplan.api.app import create_app
from oneplan.api.routes import jobs
from oneplan.config import Settings
from oneplan.db import migrate
from oneplan.db.session import unit_of_work
from oneplan.services.permissions import Grant, Role
from oneplan.services.users.service import create_user
from oneplan.services.users.tokens import create_token

from .conftest import ADMIN


@pytest.fixture
def admin_token(sqlite_engine: sa.Engine) -> str:
    migrate.upgrade(sqlite_engine)
    with unit_of_work(sqlite_engine) as session:
        create_user(session, ADMIN, "root", grants=[Grant(Role.admin)])
        return create_token(session, ADMIN, "root", "generated tests").token


@pytest.mark.slow
def test_generated_requests_meet_the_description(
    sqlite_engine: sa.Engine,
    api_settings: Settings,
    admin_token: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # no worker runs here: a followed job that stays queued closes its stream at once
    monkeypatch.setattr(jobs, "FOLLOW_SECONDS", 0.0)
    app = create_app(api_settings, sqlite_engine)
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    headers = {"Authorization": f"Bearer {admin_token}", "If-Match": "*"}
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) > 25
    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(
            max_examples=15,
            deadline=None,
            database=None,
            derandomize=True,  # the same cases on every run: a failure is never luck
            suppress_health_check=list(HealthCheck),
        )
        def check(case: Any) -> None:
            # The valid token sent with each case is what lets it in: a generated cookie
            # beside it is rightly ignored, which `ignored_auth` would take for ignored auth.
            # Codes, names and months are checked against the data (an unknown family, a month
            # outside the plan), which no description states: `positive_data_acceptance` would
            # take those refusals for refused valid input.
            case.call_and_validate(
                headers=headers, excluded_checks=[ignored_auth, positive_data_acceptance]
            )

        check()


@pytest.mark.slow
def test_generated_reads_of_a_planned_cycle_meet_the_description(
    sqlite_engine: sa.Engine, api_settings: Settings, admin_token: str, prepare: Any
) -> None:
    """The reads of the plans over a database that holds them (the demo company, a demand
    plan, its supply plan and financial plan): any level, member, month range and page."""
    from oneplan.runner import run_phased
    from oneplan.services.finance.service import finance_run

    prepare.import_demo(sqlite_engine)
    prepare.store_consensus(sqlite_engine)
    prepare.run_supply(sqlite_engine)
    run_phased(sqlite_engine, finance_run(ADMIN))
    app = create_app(api_settings, sqlite_engine)
    schema = schemathesis.openapi.from_asgi("/openapi.json", app).include(
        method="GET", path_regex=r"^/(demand/(plan|grid)|supply|finance|data/imports)"
    )
    headers = {"Authorization": f"Bearer {admin_token}"}
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) == 12
    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(
            max_examples=25,
            deadline=None,
            database=None,
            derandomize=True,
            suppress_health_check=list(HealthCheck),
        )
        def check(case: Any) -> None:
            case.call_and_validate(
                headers=headers, excluded_checks=[ignored_auth, positive_data_acceptance]
            )

        check()
