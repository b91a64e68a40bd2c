"""The audit trail searched and paged by the database; the chain's check for administrators;
the cycle calendar as the parameters set it."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
import sqlalchemy as sa

from oneplan.db.models import Parameter
from oneplan.db.session import unit_of_work
from oneplan.errors import PermissionDenied, ValidationFailed
from oneplan.services.actor import Actor
from oneplan.services.audit.search import AuditSearch, check_chain, search_events
from oneplan.services.audit.service import record
from oneplan.services.cycle.calendar_view import cycle_calendar
from oneplan.services.permissions import Grant, Role

VIEWER = Actor("vic", frozenset({Grant(Role.viewer)}))


def _trail(engine: sa.Engine) -> None:
    with unit_of_work(engine) as session:
        for n in range(7):
            who = Actor.administrator("ada" if n % 2 else "bert")
            record(session, who, "user.grant", "user", f"u{n}", {"grant": f"sales for HOS-{n}"})
        record(session, Actor.administrator("ada"), "plan.approve", "plan_version", 4, {})


def test_a_search_filters_in_the_database_and_pages_newest_first(engine: sa.Engine) -> None:
    _trail(engine)
    today = datetime.now(UTC).date()
    with unit_of_work(engine, write=False) as session:
        first = search_events(session, VIEWER, AuditSearch(action="user."), per_page=3)
        last = search_events(session, VIEWER, AuditSearch(action="user."), page=3, per_page=3)
        ada = search_events(session, VIEWER, AuditSearch(actor="ada", action="user.grant"))
        text = search_events(session, VIEWER, AuditSearch(text="hos-5"))
        subject = search_events(session, VIEWER, AuditSearch(subject_type="plan_version"))
        now = search_events(session, VIEWER, AuditSearch(since=today, until=today))
        later = search_events(session, VIEWER, AuditSearch(since=today + timedelta(2)))
    assert (first.total, first.pages, [e.subject_id for e in first.entries]) == (
        7,
        3,
        ["u6", "u5", "u4"],
    )
    assert [e.subject_id for e in last.entries] == ["u0"]
    assert [e.subject_id for e in ada.entries] == ["u5", "u3", "u1"]
    assert [e.subject_id for e in text.entries] == ["u5"]
    assert [e.subject_id for e in subject.entries] == ["4"]
    assert (now.total, later.total) == (8, 0)


def test_a_backwards_date_range_is_refused_by_field(engine: sa.Engine) -> None:
    with pytest.raises(ValidationFailed, match="until") as error, unit_of_work(engine) as session:
        search_events(session, VIEWER, AuditSearch(since=date(2027, 2, 1), until=date(2027, 1, 1)))
    assert error.value.problems[0].column == "until"


def test_the_chain_check_is_for_administrators(engine: sa.Engine) -> None:
    _trail(engine)
    with unit_of_work(engine, write=False) as session:
        checked = check_chain(session, Actor.administrator("ada"))
        with pytest.raises(PermissionDenied, match="manage_users"):
            check_chain(session, VIEWER)
    assert (checked.events, checked.broken) == (8, None)


def test_the_calendar_shows_defaults_and_what_the_parameters_set(engine: sa.Engine) -> None:
    with unit_of_work(engine) as session:
        for name, value in (("cycle_day_demand_review", "5"), ("cycle_owner_release", "sam")):
            session.add(
                Parameter(
                    name=name,
                    value=value,
                    created_at=datetime.now(UTC),
                    created_by="t",
                    updated_at=datetime.now(UTC),
                    updated_by="t",
                )
            )
    with unit_of_work(engine, write=False) as session:
        steps = {s.step: s for s in cycle_calendar(session, VIEWER)}
    assert (steps["demand_review"].working_day, steps["demand_review"].set_in_parameters) == (
        5,
        True,
    )
    assert (steps["release"].owner_user, steps["gather_data"].working_day) == ("sam", 3)
    assert steps["gather_data"].approvers == ["supply_planner"]
