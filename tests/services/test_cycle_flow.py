"""The S&OP cycle as people move through it: the calendar, sign-offs with four eyes, steps in
order, rejection and reopening, the executive meeting's plan, and the decision log; every test
runs on SQLite and PostgreSQL."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any, TypeVar

import pandas as pd
import pytest
import sqlalchemy as sa

from oneplan.db.models import Parameter
from oneplan.db.plans import PlanVersion
from oneplan.db.session import unit_of_work
from oneplan.errors import Conflict, InputError, NotFound, PermissionDenied, ValidationFailed
from oneplan.services.actor import Actor
from oneplan.services.audit.service import events
from oneplan.services.audit.verify import verify_chain
from oneplan.services.cycle.decisions import add_decision, close_decision, list_decisions
from oneplan.services.cycle.moves import (
    approve_step,
    assign_step,
    reject_step,
    reopen_step,
    submit_step,
)
from oneplan.services.cycle.service import cycle_status, open_cycle
from oneplan.services.permissions import Grant, Role
from oneplan.services.users.service import create_user
from oneplan.services.versions.store import save_version

T = TypeVar("T")
ADMIN = Actor.administrator("ann")
STEPS = ["gather_data", "demand_review", "supply_review", "pre_sop", "executive_meeting"]


def person(name: str, role: Role) -> Actor:
    return Actor(name, frozenset({Grant(role)}))


DORA = person("dora", Role.demand_planner)
SAM = person("sam", Role.supply_planner)
FIN = person("fin", Role.finance)
EXA = person("exa", Role.executive)
VIC = person("vic", Role.viewer)
SAL = person("sal", Role.sales)
BOB = Actor.administrator("bob")


def act(engine: sa.Engine, call: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """One move in its own transaction, as a command or a request makes it."""
    with unit_of_work(engine) as session:
        return call(session, *args, **kwargs)


def with_users(engine: sa.Engine, *people: Actor) -> None:
    with unit_of_work(engine) as session:
        create_user(session, ADMIN, "ann", grants=[Grant(Role.admin)])
        for someone in people:
            create_user(session, ADMIN, someone.name, grants=list(someone.grants))


def set_parameters(engine: sa.Engine, **values: str) -> None:
    now = datetime.now(UTC)
    with unit_of_work(engine) as session:
        for name, value in values.items():
            session.merge(
                Parameter(
                    name=name,
                    value=value,
                    created_at=now,
                    created_by="t",
                    updated_at=now,
                    updated_by="t",
                )
            )


def supply_version(engine: sa.Engine, author: Actor, month: str, kind: str = "supply") -> int:
    with unit_of_work(engine) as session:
        return save_version(
            session,
            author,
            cycle=month,
            kind=kind,
            name=f"{kind} {month}",
            frames={"supply_plan": pd.DataFrame({"quantity": [1.0]})},
            settings={},
            summary={"status": "optimal"},
            input_hash=f"{kind}-{month}",
        ).id


def states(engine: sa.Engine, month: str | None = None) -> dict[str, str]:
    with unit_of_work(engine, write=False) as session:
        return {s.name: s.state for s in cycle_status(session, ADMIN, month).steps}


def plan_state(engine: sa.Engine, version_id: int) -> str:
    with unit_of_work(engine, write=False) as session:
        return session.get_one(PlanVersion, version_id).state


def walk(engine: sa.Engine, month: str, version_id: int, up_to: str | None = None) -> None:
    """One person (a database without users) moves the cycle's steps: to its end, or up to
    submitting ``up_to``."""
    for name in [*STEPS, "release"]:
        extra = {"plan_version_id": version_id} if name == "executive_meeting" else {}
        act(engine, submit_step, ADMIN, name, month=month, **extra)
        if name == up_to:
            return
        act(engine, approve_step, ADMIN, name, month=month)


# --- the calendar --------------------------------------------------------------------------


def test_opening_a_cycle_lays_out_its_calendar_and_sets_the_plan_start(engine: sa.Engine) -> None:
    set_parameters(engine, plan_start="2027-01-01", horizon_periods="18")
    opened = act(engine, open_cycle, ADMIN, "2027-03")
    steps = {s.name: s for s in opened.cycle.steps}
    # 2027-03-01 is a Monday: working days 3, 6, 9, 12, 15 and 16 of the month
    assert [f"{s.due_on:%a %d}" for s in opened.cycle.steps] == [
        "Wed 03", "Mon 08", "Thu 11", "Tue 16", "Fri 19", "Mon 22"
    ]  # fmt: skip
    assert [s.state for s in opened.cycle.steps] == ["in_progress"] + ["not_started"] * 5
    assert steps["demand_review"].owner_role == "demand_planner"
    assert steps["demand_review"].approver_roles == ["executive"]
    assert steps["gather_data"].approver_roles == ["supply_planner"]
    assert opened.plan_start == "2027-03-01"
    with unit_of_work(engine, write=False) as session:
        assert session.get_one(Parameter, "plan_start").value == "2027-03-01"
        [event] = events(session, ADMIN, action="cycle.open")
    assert event.detail["plan_start"] == {"from": "2027-01-01", "to": "2027-03-01"}


def test_the_calendar_template_comes_from_the_parameters(engine: sa.Engine) -> None:
    set_parameters(
        engine, plan_start="2027-05-01", cycle_day_demand_review="2", cycle_owner_release="sam"
    )
    opened = act(engine, open_cycle, ADMIN)  # the month of plan_start: the first cycle
    steps = {s.name: s for s in opened.cycle.steps}
    assert opened.cycle.month == "2027-05"
    assert steps["demand_review"].due_on == date(2027, 5, 4)  # Sat 1, Sun 2: Mon 3, Tue 4
    assert steps["release"].owner_user == "sam"


def test_a_bad_template_is_refused_naming_every_parameter(engine: sa.Engine) -> None:
    set_parameters(engine, cycle_day_pre_sop="31", cycle_day_release="soon")
    with pytest.raises(ValidationFailed) as failed:
        act(engine, open_cycle, ADMIN, "2027-03")
    assert [p.column for p in failed.value.problems] == ["cycle_day_pre_sop", "cycle_day_release"]
    with pytest.raises(NotFound):
        act(engine, cycle_status, ADMIN)


def test_one_cycle_is_open_at_a_time_and_months_move_forward(engine: sa.Engine) -> None:
    act(engine, open_cycle, ADMIN, "2027-03")
    with pytest.raises(Conflict, match="cycle 2027-03 is open"):
        act(engine, open_cycle, ADMIN, "2027-04")
    with pytest.raises(InputError, match="need a month like 2027-03"):
        act(engine, open_cycle, ADMIN, "March")
    walk(engine, "2027-03", supply_version(engine, ADMIN, "2027-03"))
    with pytest.raises(Conflict, match="cycles move forward"):
        act(engine, open_cycle, ADMIN, "2027-02")
    assert act(engine, open_cycle, ADMIN).cycle.month == "2027-04"  # the next month by default


def test_only_the_process_owner_or_an_executive_opens_a_cycle(engine: sa.Engine) -> None:
    for who in (SAL, VIC, Actor("x", frozenset({Grant(Role.executive, frozenset({"HOS"}))}))):
        with pytest.raises(PermissionDenied, match="may not open a cycle"):
            act(engine, open_cycle, who, "2027-03")
    assert act(engine, open_cycle, DORA, "2027-03").cycle.opened_by == "dora"


# --- sign-offs ------------------------------------------------------------------------------


def test_five_people_walk_a_full_cycle(engine: sa.Engine) -> None:
    with_users(engine, DORA, SAM, FIN, EXA, VIC)
    act(engine, open_cycle, DORA, "2027-03")
    scenario = supply_version(engine, FIN, "2027-03", kind="scenario")
    with pytest.raises(PermissionDenied, match=re.escape("vic (viewer) may not submit")):
        act(engine, submit_step, VIC, "gather_data")
    for name, owner, approver in [
        ("gather_data", DORA, SAM),
        ("demand_review", DORA, EXA),
        ("supply_review", SAM, EXA),
        ("pre_sop", FIN, EXA),
        ("executive_meeting", SAM, EXA),
        ("release", SAM, EXA),
    ]:
        extra = {"plan_version_id": scenario} if name == "executive_meeting" else {}
        submitted = act(engine, submit_step, owner, name, **extra)
        assert (submitted.state, submitted.submitted_by) == ("submitted", owner.name)
        approved = act(engine, approve_step, approver, name)
        signed = "done" if name == "release" else "approved"  # the release closes the cycle
        assert (approved.state, approved.decided_by) == (signed, approver.name)
        if name == "executive_meeting":
            assert plan_state(engine, scenario) == "approved"
    assert plan_state(engine, scenario) == "released"
    with unit_of_work(engine, write=False) as session:
        cycle = cycle_status(session, VIC)
        assert (cycle.state, cycle.closed_by, cycle.plan_version_id) == ("closed", "exa", scenario)
        assert {s.state for s in cycle.steps} == {"done"}
        actions = [e.action for e in events(session, ADMIN) if e.subject_type == "cycle_step"]
        assert actions.count("cycle.step.submit") == 6
        assert actions.count("cycle.step.approve") == 6
        assert actions.count("cycle.step.start") == 5
        assert [e.action for e in events(session, ADMIN, "plan_version", scenario)] == [
            "plan.propose", "plan.approve", "plan.release"
        ]  # fmt: skip
        assert verify_chain(session, ADMIN).broken is None
    with pytest.raises(Conflict, match="closed"):
        act(engine, reopen_step, EXA, "release", "too late")


def test_the_submitter_never_approves_their_own_step(engine: sa.Engine) -> None:
    with_users(engine, BOB)
    act(engine, open_cycle, ADMIN, "2027-03")
    act(engine, submit_step, ADMIN, "gather_data")
    for move in (approve_step, reject_step):
        args = ("gather_data", "no") if move is reject_step else ("gather_data",)
        with pytest.raises(PermissionDenied, match="they submitted it"):
            act(engine, move, ADMIN, *args)
    assert states(engine)["gather_data"] == "submitted"
    assert act(engine, approve_step, BOB, "gather_data").state == "approved"


def test_only_an_approver_role_approves(engine: sa.Engine) -> None:
    with_users(engine, DORA, SAM, EXA)
    act(engine, open_cycle, DORA, "2027-03")
    act(engine, submit_step, DORA, "gather_data")
    act(engine, approve_step, SAM, "gather_data")
    act(engine, submit_step, DORA, "demand_review")
    with pytest.raises(PermissionDenied, match="needs the role executive, admin"):
        act(engine, approve_step, SAM, "demand_review")
    with pytest.raises(PermissionDenied, match="may not submit the supply review"):
        act(engine, submit_step, DORA, "supply_review")


def test_steps_are_submitted_in_order(engine: sa.Engine) -> None:
    act(engine, open_cycle, ADMIN, "2027-03")
    with pytest.raises(Conflict, match=re.escape("gather data is approved (it is in_progress)")):
        act(engine, submit_step, ADMIN, "demand_review")
    act(engine, submit_step, ADMIN, "gather_data")
    with pytest.raises(Conflict, match="is submitted already"):
        act(engine, submit_step, ADMIN, "gather_data")
    with pytest.raises(Conflict, match=re.escape("gather data is approved (it is submitted)")):
        act(engine, submit_step, ADMIN, "demand_review")
    with pytest.raises(Conflict, match="only a submitted step is approved"):
        act(engine, approve_step, ADMIN, "demand_review")
    with pytest.raises(InputError, match="expected one of gather_data"):
        act(engine, submit_step, ADMIN, "lunch")


def test_an_approved_step_is_locked(engine: sa.Engine) -> None:
    act(engine, open_cycle, ADMIN, "2027-03")
    act(engine, submit_step, ADMIN, "gather_data")
    act(engine, approve_step, ADMIN, "gather_data")
    with pytest.raises(Conflict, match="is approved and locked: reopen it"):
        act(engine, submit_step, ADMIN, "gather_data")
    with pytest.raises(Conflict, match="only a submitted step is rejected"):
        act(engine, reject_step, ADMIN, "gather_data", "late data")
    assert states(engine)["demand_review"] == "in_progress"  # the next step has started


def test_a_stale_move_is_refused(engine: sa.Engine) -> None:
    act(engine, open_cycle, ADMIN, "2027-03")
    seen = act(engine, submit_step, ADMIN, "gather_data")
    act(engine, reject_step, ADMIN, "gather_data", "the stock file is a week old")
    act(engine, submit_step, ADMIN, "gather_data")
    with pytest.raises(Conflict, match="was moved by ann since you read it"):
        act(engine, approve_step, ADMIN, "gather_data", expected_version=seen.version)
    with unit_of_work(engine, write=False) as session:
        current = cycle_status(session, ADMIN).steps[0]
    assert current.state == "submitted"
    approved = act(engine, approve_step, ADMIN, "gather_data", expected_version=current.version)
    assert approved.version == current.version + 1


def test_a_rejected_step_returns_to_its_submitter_and_is_submitted_again(
    engine: sa.Engine,
) -> None:
    with_users(engine, DORA, SAM)
    act(engine, open_cycle, DORA, "2027-03")
    act(engine, submit_step, DORA, "gather_data")
    with pytest.raises(InputError, match="reason"):
        act(engine, reject_step, SAM, "gather_data", "  ")
    rejected = act(engine, reject_step, SAM, "gather_data", "open orders missing for PL-NORTH")
    assert (rejected.state, rejected.reason) == ("rejected", "open orders missing for PL-NORTH")
    with pytest.raises(Conflict, match="it is rejected"):
        act(engine, approve_step, SAM, "gather_data")
    again = act(engine, submit_step, DORA, "gather_data")
    assert (again.state, again.reason) == ("submitted", None)
    assert act(engine, approve_step, SAM, "gather_data").state == "approved"
    with unit_of_work(engine, write=False) as session:
        [event] = events(session, ADMIN, action="cycle.step.reject")
    assert event.actor == "sam"
    assert event.detail["returned_to"] == "dora"
    assert event.detail["reason"] == "open orders missing for PL-NORTH"


def test_reopening_a_step_returns_the_later_steps_to_in_progress(engine: sa.Engine) -> None:
    act(engine, open_cycle, ADMIN, "2027-03")
    walk(engine, "2027-03", 0, up_to="pre_sop")  # submitted, not approved
    with pytest.raises(Conflict, match="only an approved step is reopened"):
        act(engine, reopen_step, ADMIN, "pre_sop", "x")
    moved = act(engine, reopen_step, ADMIN, "demand_review", "a key account cut its order")
    assert [s.name for s in moved] == ["demand_review", "supply_review", "pre_sop"]
    assert states(engine) == {
        "gather_data": "approved",
        "demand_review": "in_progress",
        "supply_review": "in_progress",
        "pre_sop": "in_progress",
        "executive_meeting": "not_started",
        "release": "not_started",
    }
    with pytest.raises(Conflict, match="before the demand review is approved"):
        act(engine, submit_step, ADMIN, "supply_review")
    with unit_of_work(engine, write=False) as session:
        [event] = events(session, ADMIN, action="cycle.step.reopen")
        returned = events(session, ADMIN, action="cycle.step.return")
    assert event.detail["reason"] == "a key account cut its order"
    assert event.detail["returned"] == ["supply_review", "pre_sop"]
    assert len(returned) == 2


def test_only_an_approver_reopens(engine: sa.Engine) -> None:
    with_users(engine, DORA, SAM)
    act(engine, open_cycle, DORA, "2027-03")
    act(engine, submit_step, DORA, "gather_data")
    act(engine, approve_step, SAM, "gather_data")
    with pytest.raises(PermissionDenied, match="may not reopen the gather data"):
        act(engine, reopen_step, DORA, "gather_data", "one more file")
    assert act(engine, reopen_step, SAM, "gather_data", "one more file")[0].state == "in_progress"


def test_a_step_is_given_to_one_person_and_is_locked_once_signed_off(engine: sa.Engine) -> None:
    dan = person("dan", Role.demand_planner)
    with_users(engine, DORA, SAM, EXA, dan)
    act(engine, open_cycle, DORA, "2027-03")
    with pytest.raises(Conflict, match="sam does not hold the role demand_planner"):
        act(engine, assign_step, DORA, "demand_review", owner_user="sam")
    with pytest.raises(NotFound, match="no user 'nobody'"):
        act(engine, assign_step, DORA, "demand_review", owner_user="nobody")
    with pytest.raises(PermissionDenied, match="may not plan the steps"):
        act(engine, assign_step, SAM, "demand_review", owner_user="dan")
    moved = act(
        engine, assign_step, DORA, "demand_review", owner_user="dan", due_on=date(2027, 3, 9)
    )
    assert (moved.owner_user, moved.due_on, moved.state) == ("dan", date(2027, 3, 9), "not_started")
    act(engine, submit_step, DORA, "gather_data")
    act(engine, approve_step, SAM, "gather_data")
    with pytest.raises(PermissionDenied, match="it is dan's to submit"):
        act(engine, submit_step, DORA, "demand_review")
    act(engine, submit_step, dan, "demand_review")
    act(engine, approve_step, EXA, "demand_review")
    with pytest.raises(Conflict, match="is approved and locked"):
        act(engine, assign_step, DORA, "demand_review", owner_user="")
    with unit_of_work(engine, write=False) as session:
        [event] = events(session, ADMIN, action="cycle.step.assign")
    assert event.detail["owner_user"] == {"from": None, "to": "dan"}


# --- the executive meeting's plan ------------------------------------------------------------


def test_the_executive_meeting_decides_on_a_supply_plan_of_its_month(engine: sa.Engine) -> None:
    act(engine, open_cycle, ADMIN, "2027-03")
    other_month = supply_version(engine, ADMIN, "2027-02")
    with pytest.raises(InputError, match="only the executive meeting"):
        act(engine, submit_step, ADMIN, "gather_data", plan_version_id=other_month)
    walk(engine, "2027-03", 0, up_to="pre_sop")
    act(engine, approve_step, ADMIN, "pre_sop")
    with pytest.raises(InputError, match="is missing: the executive meeting"):
        act(engine, submit_step, ADMIN, "executive_meeting")
    with pytest.raises(Conflict, match="belongs to cycle 2027-02"):
        act(engine, submit_step, ADMIN, "executive_meeting", plan_version_id=other_month)
    with pytest.raises(NotFound):
        act(engine, submit_step, ADMIN, "executive_meeting", plan_version_id=999)
    base = supply_version(engine, ADMIN, "2027-03")
    act(engine, submit_step, ADMIN, "executive_meeting", plan_version_id=base)
    assert plan_state(engine, base) == "proposed"
    act(engine, approve_step, ADMIN, "executive_meeting")
    assert plan_state(engine, base) == "approved"
    # reopened, the meeting decides again on the plan it approved: still the same plan
    act(engine, reopen_step, ADMIN, "executive_meeting", "wait for the new price list")
    with unit_of_work(engine, write=False) as session:
        assert cycle_status(session, ADMIN).plan_version_id is None
    act(engine, submit_step, ADMIN, "executive_meeting")
    act(engine, approve_step, ADMIN, "executive_meeting")
    act(engine, submit_step, ADMIN, "release")
    act(engine, approve_step, ADMIN, "release")
    assert plan_state(engine, base) == "released"


# --- the next month and the decision log -----------------------------------------------------


def test_opening_the_next_cycle_keeps_the_snapshot_and_carries_open_decisions(
    engine: sa.Engine,
) -> None:
    with_users(engine, DORA, EXA, SAM)
    act(engine, open_cycle, DORA, "2027-03")
    version_id = supply_version(engine, SAM, "2027-03")
    kept = act(engine, add_decision, EXA, "Second shift on press P2 from May", "sam",
               due_on=date(2027, 4, 15), plan_version_id=version_id, issue_rank=1)  # fmt: skip
    done = act(engine, add_decision, EXA, "Raise hose prices 3%", "dora")
    dropped = act(engine, add_decision, SAM, "Look for a second supplier", "sam")
    act(engine, close_decision, DORA, done.id, note="price list sent")
    act(engine, close_decision, SAM, dropped.id, "dropped", "no supplier qualifies")
    with unit_of_work(engine, write=False) as session:
        assert [d.status for d in cycle_status(session, DORA).agenda] == ["open", "done", "dropped"]
    walk_with_users(engine, version_id)
    opened = act(engine, open_cycle, DORA)
    assert opened.cycle.month == "2027-04"
    assert opened.previous_month == "2027-03"
    assert opened.snapshot_version_id == version_id
    assert opened.carried_decisions == [kept.id]
    assert opened.plan_start == "2027-04-01"
    [carried] = opened.cycle.agenda
    assert (carried.taken_in, carried.agenda, carried.status) == ("2027-03", "2027-04", "open")
    with unit_of_work(engine, write=False) as session:
        assert cycle_status(session, DORA, "2027-03").snapshot_version_id == version_id
        assert [d.id for d in list_decisions(session, DORA, month="2027-03")] == [
            done.id,
            dropped.id,
        ]
        assert [d.id for d in list_decisions(session, DORA, status="open")] == [kept.id]


def walk_with_users(engine: sa.Engine, version_id: int) -> None:
    owners = [DORA, DORA, SAM, ADMIN, SAM, SAM]
    approvers = [SAM, EXA, EXA, EXA, EXA, EXA]
    for name, owner, approver in zip([*STEPS, "release"], owners, approvers, strict=True):
        extra = {"plan_version_id": version_id} if name == "executive_meeting" else {}
        act(engine, submit_step, owner, name, **extra)
        act(engine, approve_step, approver, name)


def test_decisions_are_checked_and_closed_once(engine: sa.Engine) -> None:
    with_users(engine, DORA, SAL, EXA)
    with pytest.raises(NotFound, match="no cycle has been opened"):
        act(engine, add_decision, EXA, "x", "dora")
    act(engine, open_cycle, DORA, "2027-03")
    with pytest.raises(PermissionDenied, match="may not record a decision"):
        act(engine, add_decision, SAL, "push promotions", "sal")
    with pytest.raises(InputError, match="say what was decided"):
        act(engine, add_decision, EXA, " ", "dora")
    with pytest.raises(NotFound, match="no scenario named 'west'"):
        act(engine, add_decision, EXA, "go west", "dora", scenario="west")
    with pytest.raises(InputError, match="need a rank from 1"):
        act(engine, add_decision, EXA, "fix it", "dora", issue_rank=0)
    mine = act(engine, add_decision, EXA, "Call the key account about May", "sal")
    with pytest.raises(Conflict, match="changed since you read it"):
        act(engine, close_decision, SAL, mine.id, expected_version=mine.version + 1)
    closed = act(engine, close_decision, SAL, mine.id, expected_version=mine.version)
    assert (closed.status, closed.closed_by) == ("done", "sal")  # its owner closes it
    with pytest.raises(Conflict, match="is done already"):
        act(engine, close_decision, EXA, mine.id, "dropped")
    with pytest.raises(NotFound):
        act(engine, close_decision, EXA, 999)
    with unit_of_work(engine, write=False) as session:
        assert [e.action for e in events(session, ADMIN, "decision", mine.id)] == [
            "decision.add", "decision.close"
        ]  # fmt: skip
