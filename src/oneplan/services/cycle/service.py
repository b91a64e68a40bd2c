"""The S&OP cycle as a workflow: who may act on it, reading it, and opening a month from the
calendar template (docs/cycle.md). The moves of its steps are in `moves.py`, the decision log in
`decisions.py`; every function takes a Session and an Actor and only flushes.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session

from oneplan.choices import CycleStep, StepState
from oneplan.db.cycles import Cycle, CycleStepRow, Decision
from oneplan.db.models import Parameter
from oneplan.db.plans import PlanVersion
from oneplan.errors import Conflict, InputError, NotFound, PermissionDenied
from oneplan.services.actor import Actor
from oneplan.services.audit.service import record
from oneplan.services.cycle.calendar import (
    RULES,
    due_dates,
    next_month,
    parse_month,
    template,
)
from oneplan.services.cycle.schemas import CycleInfo, CycleOpened, DecisionInfo, StepInfo
from oneplan.services.permissions import Role
from oneplan.services.versions.lifecycle import SUPPLY_PLANS

CYCLE = "cycle"
STEP = "cycle_step"
#: Who opens a month: the S&OP process owner, usually the demand planning lead, or an executive.
OPENERS = (Role.demand_planner, Role.executive)
#: A step that is signed off: locked until reopened.
LOCKED = (StepState.approved, StepState.done)
#: A step its owner may submit (again).
SUBMITTABLE = (StepState.not_started, StepState.in_progress, StepState.rejected)


# --- who may --------------------------------------------------------------------------------


def holds(actor: Actor, roles: tuple[Role, ...]) -> bool:
    """Whether the actor holds one of ``roles`` (or admin) over the whole company: the cycle's
    steps are about every family and plant, which a scoped grant does not reach."""
    return any(g.role in (*roles, Role.admin) and g.covers(None, None) for g in actor.grants)


def refuse(actor: Actor, what: str, roles: tuple[Role, ...]) -> PermissionDenied:
    held = "; ".join(sorted(str(g) for g in actor.grants)) or "no role"
    needed = ", ".join(r.value for r in (*roles, Role.admin))
    return PermissionDenied(
        f"{actor.name} ({held}) may not {what}: that needs the role {needed} over the whole company"
    )


# --- reading --------------------------------------------------------------------------------


def open_cycle_row(session: Session) -> Cycle | None:
    return session.scalars(sa.select(Cycle).where(Cycle.state == "open")).one_or_none()


def get_cycle(session: Session, month: str | None = None, *, lock: bool = False) -> Cycle:
    """The cycle of ``month``; without one, the open cycle (else the newest)."""
    query = sa.select(Cycle)
    if month is not None:
        parse_month(month)
        query = query.where(Cycle.month == month)
    else:
        query = query.order_by((Cycle.state == "open").desc(), Cycle.month.desc()).limit(1)
    if lock:
        query = query.with_for_update()
    cycle = session.scalars(query.execution_options(populate_existing=True)).first()
    if cycle is None:
        if month is None:
            raise NotFound("no cycle has been opened yet: open one with `oneplan cycle open`")
        raise NotFound(f"there is no cycle {month}: `oneplan cycle status` shows the open one")
    return cycle


def locked_steps(session: Session, cycle: Cycle) -> list[CycleStepRow]:
    """The cycle's steps in order, locked until the transaction ends (PostgreSQL; SQLite
    writers take turns anyway): two people moving steps of one cycle wait for each other."""
    return list(
        session.scalars(
            sa.select(CycleStepRow)
            .where(CycleStepRow.cycle_id == cycle.id)
            .order_by(CycleStepRow.position)
            .with_for_update()
            .execution_options(populate_existing=True)
        ).all()
    )


def step_info(step: CycleStepRow, today: date | None = None) -> StepInfo:
    rule = RULES[CycleStep(step.name)]
    today = today or datetime.now(UTC).date()
    return StepInfo(
        month=step.cycle.month,
        position=step.position,
        name=CycleStep(step.name),
        title=rule.title,
        owner_role=step.owner_role,
        owner_user=step.owner_user,
        approver_roles=[r.value for r in rule.approvers],
        due_on=step.due_on,
        overdue=step.due_on < today and step.state not in LOCKED,
        state=StepState(step.state),
        submitted_by=step.submitted_by,
        submitted_at=step.submitted_at,
        decided_by=step.decided_by,
        decided_at=step.decided_at,
        reason=step.reason,
        plan_version_id=step.plan_version_id,
        changed_by=step.changed_by,
        changed_at=step.changed_at,
        version=step.version,
    )


def cycle_info(session: Session, cycle: Cycle, today: date | None = None) -> CycleInfo:
    agenda = session.scalars(
        sa.select(Decision).where(Decision.agenda == cycle.month).order_by(Decision.id)
    ).all()
    return CycleInfo(
        month=cycle.month,
        state=cycle.state,
        plan_version_id=cycle.plan_version_id,
        snapshot_version_id=cycle.snapshot_version_id,
        opened_at=cycle.opened_at,
        opened_by=cycle.opened_by,
        closed_at=cycle.closed_at,
        closed_by=cycle.closed_by,
        steps=[step_info(s, today) for s in cycle.steps],
        agenda=[DecisionInfo.model_validate(d) for d in agenda],
    )


def cycle_status(
    session: Session, actor: Actor, month: str | None = None, *, today: date | None = None
) -> CycleInfo:
    """The cycle of ``month`` (default: the open one, else the newest) with its steps and its
    agenda; ``overdue`` marks a step past its due date that is not signed off."""
    return cycle_info(session, get_cycle(session, month), today)


def list_cycles(session: Session, actor: Actor) -> list[CycleInfo]:
    """Every cycle, newest first."""
    cycles = session.scalars(sa.select(Cycle).order_by(Cycle.month.desc())).all()
    return [cycle_info(session, c) for c in cycles]


# --- opening a month --------------------------------------------------------------------------


def _parameters(session: Session) -> dict[str, Parameter]:
    return {p.name: p for p in session.scalars(sa.select(Parameter)).all()}


def _set_plan_start(
    session: Session, actor: Actor, rows: dict[str, Parameter], month: str, at: datetime
) -> str | None:
    """The plan starts in the cycle's month: the one place the plan runs read it from is the
    ``plan_start`` parameter, so opening a cycle sets it (the horizon rolls with it)."""
    value = f"{month}-01"
    row = rows.get("plan_start")
    before = None if row is None else row.value
    if row is None:
        row = Parameter(name="plan_start", created_at=at, created_by=actor.name)
        session.add(row)
    row.value, row.updated_at, row.updated_by = value, at, actor.name
    return before


def _released_plan(session: Session, cycle: Cycle) -> int | None:
    """The supply plan released in ``cycle``'s month (base or adopted scenario), else the one
    its executive meeting approved."""
    released = session.scalar(
        sa.select(PlanVersion.id)
        .where(
            PlanVersion.cycle == cycle.month,
            PlanVersion.kind.in_(SUPPLY_PLANS),
            PlanVersion.state == "released",
        )
        .order_by(PlanVersion.id.desc())
        .limit(1)
    )
    return released if released is not None else cycle.plan_version_id


def open_cycle(session: Session, actor: Actor, month: str | None = None) -> CycleOpened:
    """Open the S&OP month ``month`` (default: the month after the newest cycle; for the first
    one, the month of the ``plan_start`` parameter) from the calendar template.

    One cycle is open at a time and months only move forward. Opening sets ``plan_start`` to
    the month, records the previous cycle's released plan as its snapshot and carries every
    open decision onto the new agenda; the first step starts. The caller commits.
    """
    if not holds(actor, OPENERS):
        raise refuse(actor, "open a cycle", OPENERS)
    if month is not None:
        parse_month(month)
    current = open_cycle_row(session)
    if current is not None:
        raise Conflict(
            f"cycle {current.month} is open: release it before opening the next (one cycle "
            "is open at a time)"
        )
    newest = session.scalars(sa.select(Cycle).order_by(Cycle.month.desc()).limit(1)).first()
    rows = _parameters(session)
    values = {name: row.value for name, row in rows.items()}
    if month is None:
        start = values.get("plan_start", "")[:7]
        month = next_month(newest.month) if newest is not None else start
        if not month:
            raise InputError(
                "is not given, and no plan_start says which", table="cycle", column="month"
            )
    parse_month(month)
    if newest is not None and month <= newest.month:
        raise Conflict(
            f"cannot open cycle {month}: cycles move forward, the newest is {newest.month}"
        )
    days = template(values)
    due = due_dates(month, {step: day for step, (day, _) in days.items()})
    now = datetime.now(UTC)
    cycle = Cycle(month=month, state="open", opened_at=now, opened_by=actor.name)
    cycle.steps = [
        CycleStepRow(
            position=position,
            name=step.value,
            owner_role=rule.owner.value,
            owner_user=days[step][1],
            due_on=due[step],
            state=StepState.in_progress if position == 1 else StepState.not_started,
            changed_at=now,
            changed_by=actor.name,
        )
        for position, (step, rule) in enumerate(RULES.items(), start=1)
    ]
    session.add(cycle)
    snapshot = None
    if newest is not None:
        snapshot = _released_plan(session, newest)
        newest.snapshot_version_id = snapshot
    carried = list(
        session.scalars(
            sa.select(Decision).where(Decision.status == "open").order_by(Decision.id)
        ).all()
    )
    for decision in carried:
        decision.agenda = month
    before = _set_plan_start(session, actor, rows, month, now)
    session.flush()
    detail = {
        "previous": None if newest is None else newest.month,
        "snapshot_version": snapshot,
        "carried_decisions": [d.id for d in carried],
        "plan_start": {"from": before, "to": f"{month}-01"},
        "due": {step.value: f"{day:%Y-%m-%d}" for step, day in due.items()},
    }
    record(session, actor, "cycle.open", CYCLE, month, detail, at=now)
    return CycleOpened(
        cycle=cycle_info(session, cycle),
        plan_start=f"{month}-01",
        previous_month=None if newest is None else newest.month,
        snapshot_version_id=snapshot,
        carried_decisions=[d.id for d in carried],
    )
