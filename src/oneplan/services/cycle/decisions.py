"""The decision log of the executive meeting: what was decided, who carries it out by when,
and what it is about (a scenario, an issue of the meeting list, a plan version). An open
decision stays on the agenda: opening the next cycle carries it over (docs/cycle.md)."""

from __future__ import annotations

from datetime import UTC, date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session

from oneplan.choices import DecisionStatus
from oneplan.db.cycles import Decision
from oneplan.db.scenarios import Scenario
from oneplan.errors import Conflict, InputError, NotFound, Stale
from oneplan.services.actor import NAME_LENGTH, Actor
from oneplan.services.audit.service import record
from oneplan.services.cycle.calendar import parse_month
from oneplan.services.cycle.schemas import DecisionInfo
from oneplan.services.cycle.service import get_cycle, holds, refuse
from oneplan.services.permissions import Role
from oneplan.services.versions.store import get_version

SUBJECT = "decision"
#: Who writes the minutes: the executives and the planners who prepare the meeting.
WRITERS = (Role.executive, Role.demand_planner, Role.supply_planner, Role.finance)


def add_decision(
    session: Session,
    actor: Actor,
    text: str,
    owner: str,
    *,
    due_on: date | None = None,
    scenario: str | None = None,
    issue_rank: int | None = None,
    plan_version_id: int | None = None,
    month: str | None = None,
) -> DecisionInfo:
    """Record a decision taken in the cycle of ``month`` (default: the open one, else the
    newest); the caller commits."""
    if not holds(actor, WRITERS):
        raise refuse(actor, "record a decision", WRITERS)
    text, owner = text.strip(), owner.strip()
    if not text:
        raise InputError("is empty: say what was decided", table="decision", column="text")
    if not owner or len(owner) > NAME_LENGTH:
        raise InputError(
            f"is {owner!r}: name who carries it out (at most {NAME_LENGTH} characters)",
            table="decision",
            column="owner",
        )
    if issue_rank is not None and issue_rank < 1:
        raise InputError(
            f"is {issue_rank}, need a rank from 1", table="decision", column="issue_rank"
        )
    if (
        scenario is not None
        and session.scalar(sa.select(Scenario.id).where(Scenario.name == scenario)) is None
    ):
        raise NotFound(f"there is no scenario named {scenario!r}")
    if plan_version_id is not None:
        get_version(session, plan_version_id)
    cycle = get_cycle(session, month)
    now = datetime.now(UTC)
    decision = Decision(
        taken_in=cycle.month,
        agenda=cycle.month,
        text=text,
        owner=owner,
        due_on=due_on,
        status=DecisionStatus.open,
        scenario=scenario,
        issue_rank=issue_rank,
        plan_version_id=plan_version_id,
        created_at=now,
        created_by=actor.name,
    )
    session.add(decision)
    session.flush()
    detail = {
        "cycle": cycle.month,
        "text": text,
        "owner": owner,
        "due_on": None if due_on is None else f"{due_on:%Y-%m-%d}",
        "scenario": scenario,
        "issue_rank": issue_rank,
        "plan_version": plan_version_id,
    }
    record(session, actor, "decision.add", SUBJECT, decision.id, detail, at=now)
    return DecisionInfo.model_validate(decision)


def list_decisions(
    session: Session,
    actor: Actor,
    *,
    month: str | None = None,
    status: DecisionStatus | str | None = None,
) -> list[DecisionInfo]:
    """The agenda of ``month``'s cycle (default: the open one, else the newest; every decision
    while there is no cycle), optionally of one status, oldest first."""
    query = sa.select(Decision).order_by(Decision.id)
    if month is not None:
        parse_month(month)
        query = query.where(Decision.agenda == month)
    elif session.scalar(sa.select(Decision.id).limit(1)) is not None:
        query = query.where(Decision.agenda == get_cycle(session).month)
    if status is not None:
        query = query.where(Decision.status == DecisionStatus(status))
    return [DecisionInfo.model_validate(d) for d in session.scalars(query).all()]


def close_decision(
    session: Session,
    actor: Actor,
    decision_id: int,
    status: DecisionStatus | str = DecisionStatus.done,
    note: str = "",
    *,
    expected_version: int | None = None,
) -> DecisionInfo:
    """Mark an open decision ``done`` or ``dropped`` (with a note); by those who write the
    minutes or by the decision's owner. The caller commits."""
    status = DecisionStatus(status)
    if status == DecisionStatus.open:
        raise InputError(
            "is open: close a decision as done or dropped", table="decision", column="status"
        )
    decision = session.scalars(
        sa.select(Decision)
        .where(Decision.id == decision_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).one_or_none()
    if decision is None:
        raise NotFound(f"there is no decision {decision_id}")
    if not holds(actor, WRITERS) and actor.name != decision.owner:
        raise refuse(actor, f"close decision {decision_id} (owned by {decision.owner})", WRITERS)
    if expected_version is not None and decision.version != expected_version:
        raise Stale(
            f"decision {decision_id} was changed since you read it (version "
            f"{expected_version}, now {decision.version}): look again and retry",
            current=DecisionInfo.model_validate(decision),
        )
    if decision.status != DecisionStatus.open:
        raise Conflict(f"decision {decision_id} is {decision.status} already")
    now = datetime.now(UTC)
    decision.status, decision.note = status, note.strip() or None
    decision.closed_at, decision.closed_by = now, actor.name
    session.flush()
    detail = {"from": "open", "to": status.value, "note": decision.note}
    record(session, actor, "decision.close", SUBJECT, decision.id, detail, at=now)
    return DecisionInfo.model_validate(decision)
