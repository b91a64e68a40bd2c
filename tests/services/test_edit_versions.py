"""Edits named against a version, on both databases: a stale one is refused with the current
state and changes nothing; a row changed behind the session's back is a Conflict; a withdrawn
override stops applying; log-in sessions and their throttle."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa

from oneplan.db.plans import PlanVersion
from oneplan.db.session import unit_of_work
from oneplan.errors import Conflict, NotAuthenticated, PermissionDenied, Stale, TooManyAttempts
from oneplan.services.actor import Actor
from oneplan.services.demand.overrides import (
    add_override,
    cycle_overrides,
    list_overrides,
    withdraw_override,
)
from oneplan.services.demand.schemas import OverrideIn
from oneplan.services.permissions import Grant, Role
from oneplan.services.scenario.schemas import Assumption
from oneplan.services.scenario.service import add_assumption, create_scenario, delete_scenario
from oneplan.services.users import service as users
from oneplan.services.users import sessions
from oneplan.services.versions.lifecycle import transition
from oneplan.services.versions.service import show_version

PASSWORD = "correct horse battery staple"
SPRING = OverrideIn(
    level="family", member="SPR", period="2027-03", kind="relative", value=10, reason="fair"
)
SALES_HOS = Actor("sam", frozenset({Grant(Role.sales, frozenset({"HOS"}))}))


def test_a_stale_plan_move_is_refused_with_the_current_state(
    engine: sa.Engine, prepare: Any, actor: Actor
) -> None:
    version = prepare.store_consensus(engine)
    with unit_of_work(engine) as session:
        moved = transition(session, actor, version, "propose", expected=1)
    assert moved.version.version == 2
    with pytest.raises(Stale) as stale, unit_of_work(engine) as session:
        transition(session, actor, version, "approve", expected=1)
    assert stale.value.current.state == "proposed"  # type: ignore[attr-defined]
    with unit_of_work(engine, write=False) as session:
        assert show_version(session, actor, version).state == "proposed"


def test_a_row_changed_behind_the_sessions_back_is_a_conflict(
    engine: sa.Engine, prepare: Any
) -> None:
    version = prepare.store_consensus(engine)
    with pytest.raises(Conflict, match="someone else changed"), unit_of_work(engine) as session:
        row = session.get(PlanVersion, version)
        assert row is not None
        session.execute(sa.text("UPDATE plan_versions SET version = version + 1"))
        row.state = "proposed"
        session.flush()
    with unit_of_work(engine, write=False) as session:
        assert session.get(PlanVersion, version).state == "draft"  # type: ignore[union-attr]


def test_a_withdrawn_override_stops_applying_and_is_kept(
    engine: sa.Engine, prepare: Any, actor: Actor
) -> None:
    prepare.import_demo(engine)
    with unit_of_work(engine) as session:
        made = add_override(session, actor, SPRING)
    with pytest.raises(PermissionDenied, match="family SPR"), unit_of_work(engine) as session:
        withdraw_override(session, SALES_HOS, made.id)
    with pytest.raises(Stale), unit_of_work(engine) as session:
        withdraw_override(session, actor, made.id, expected=5)
    with unit_of_work(engine) as session:
        gone = withdraw_override(session, actor, made.id, reason="cancelled", expected=1)
    assert gone.withdrawn_by == "tester" and gone.version == 2
    with pytest.raises(Conflict, match="withdrawn already"), unit_of_work(engine) as session:
        withdraw_override(session, actor, made.id)
    with unit_of_work(engine, write=False) as session:
        assert cycle_overrides(session, made.cycle).empty
        assert list_overrides(session, actor).total == 0
        kept = list_overrides(session, actor, withdrawn=True).items
    assert [o.id for o in kept] == [made.id]


def test_scenario_and_user_edits_raise_their_version(engine: sa.Engine, actor: Actor) -> None:
    assumption = Assumption(
        kind="demand_change", target_level="total", target="", value=5, unit="percent"
    )
    with unit_of_work(engine) as session:
        assert create_scenario(session, actor, "s").version == 1
        add_assumption(session, actor, "s", assumption, expected=1)
    with pytest.raises(Stale), unit_of_work(engine) as session:
        add_assumption(session, actor, "s", assumption, expected=1)
    with pytest.raises(Stale), unit_of_work(engine) as session:
        delete_scenario(session, actor, "s", expected=1)
    with unit_of_work(engine) as session:
        delete_scenario(session, actor, "s", expected=2)
        made = users.create_user(session, actor, "ann", grants=[Grant(Role.admin)])
        users.grant(session, actor, "ann", Grant(Role.viewer), expected=made.version)
    with pytest.raises(Stale), unit_of_work(engine) as session:
        users.revoke(session, actor, "ann", Role.viewer, expected=made.version)


def test_sessions_start_end_and_the_throttle_forgets_old_failures(
    engine: sa.Engine, actor: Actor
) -> None:
    policy = sessions.LoginPolicy(failures_per_account=2, failures_per_address=10)
    with unit_of_work(engine) as session:
        users.create_user(session, actor, "ann", password=PASSWORD, grants=[Grant(Role.admin)])
    with unit_of_work(engine) as session:
        started = sessions.log_in(session, "ann", PASSWORD, "10.0.0.1", policy)
    with unit_of_work(engine) as session:
        found = sessions.resolve_session(session, started.session_id, policy)
        assert found.actor.name == "ann"
        assert sessions.csrf_matches(found, started.csrf_token)
        assert not sessions.csrf_matches(found, started.session_id)
        sessions.log_out(session, found)
    with pytest.raises(NotAuthenticated), unit_of_work(engine) as session:
        sessions.resolve_session(session, started.session_id, policy)

    long_ago = datetime.now(UTC) - timedelta(minutes=policy.window_minutes + 1)
    with unit_of_work(engine) as session:
        for _ in range(2):
            sessions.record_failure(session, "ann", "10.0.0.1", policy, now=long_ago)
    with unit_of_work(engine) as session:  # failures older than the window do not count
        sessions.log_in(session, "ann", PASSWORD, "10.0.0.1", policy)
    with unit_of_work(engine) as session:
        for _ in range(2):
            sessions.record_failure(session, "ann", "10.0.0.2", policy)
    with pytest.raises(TooManyAttempts) as held, unit_of_work(engine) as session:
        sessions.log_in(session, "ann", PASSWORD, "10.0.0.3", policy)
    assert 0 < held.value.retry_after <= policy.window_minutes * 60 + 1
    with unit_of_work(engine) as session:
        users.set_password(session, actor, "ann", "another long passphrase")
    with pytest.raises(NotAuthenticated), unit_of_work(engine) as session:
        sessions.log_in(session, "ann", PASSWORD, "10.0.0.4", sessions.LoginPolicy())
