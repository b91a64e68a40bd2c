"""The S&OP cycle as a workflow: open a month, submit its steps in order, approve or reject
them (four eyes), reopen one with a reason (docs/cycle.md).

States of a step and the moves between them::

    not_started -> in_progress -> submitted -> approved -> done (when the cycle closes)
                        ^            |    ^       |
                        |         reject  |    reopen (the later steps return too)
                        |            v    |       |
                        |         rejected (submit again)
                        +-------------------------+

The executive meeting approves one supply plan (the base plan or a scenario run) through the
plan versions' own lifecycle; the release step releases it and closes the cycle. Every move
stamps the step, writes an audit event in the caller's transaction and only flushes.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

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
from oneplan.services.users.actors import has_users
from oneplan.services.versions.lifecycle import SUPPLY_PLANS, transition
from oneplan.services.versions.store import get_version

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


def _may_submit(actor: Actor, step: CycleStepRow) -> None:
    rule = RULES[CycleStep(step.name)]
    if not holds(actor, (rule.owner,)):
        raise refuse(actor, f"submit the {rule.title}", (rule.owner,))
    named = step.owner_user
    if named and actor.name != named and not holds(actor, ()):
        raise PermissionDenied(
            f"{actor.name} may not submit the {rule.title} of {step.cycle.month}: it is "
            f"{named}'s to submit"
        )


def _may_decide(session: Session, actor: Actor, step: CycleStepRow, move: str) -> None:
    """An approver's role, and four eyes: once the database has users, a step is approved or
    rejected by someone else than its submitter (a one-person database has nobody to ask)."""
    rule = RULES[CycleStep(step.name)]
    if not holds(actor, rule.approvers):
        raise refuse(actor, f"{move} the {rule.title}", rule.approvers)
    if actor.name == step.submitted_by and has_users(session):
        raise PermissionDenied(
            f"{actor.name} may not {move} the {rule.title} of {step.cycle.month}: they "
            "submitted it, and a step is signed off by someone else than its submitter"
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


def _locked_steps(session: Session, cycle: Cycle) -> list[CycleStepRow]:
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


# --- moving a step ------------------------------------------------------------------------------


def _step(
    session: Session, step: str, month: str | None, expected_version: int | None
) -> tuple[Cycle, list[CycleStepRow], CycleStepRow]:
    try:
        name = CycleStep(step)
    except ValueError:
        choices = ", ".join(s.value for s in CycleStep)
        raise InputError(
            f"is {step!r}, expected one of {choices}", table="cycle", column="step"
        ) from None
    cycle = get_cycle(session, month, lock=True)
    steps = _locked_steps(session, cycle)
    row = next(s for s in steps if s.name == name)
    if expected_version is not None and row.version != expected_version:
        raise Conflict(
            f"the {RULES[name].title} of {cycle.month} was moved by {row.changed_by} since you "
            f"read it (version {expected_version}, now {row.version}, {row.state}): nothing "
            "was changed, look at the current state and try again"
        )
    if cycle.state != "open":
        raise Conflict(f"cycle {cycle.month} is closed: its record stays as it was released")
    return cycle, steps, row


def _stamp(
    session: Session,
    actor: Actor,
    row: CycleStepRow,
    to: StepState,
    action: str,
    at: datetime,
    **detail: Any,
) -> None:
    before = row.state
    row.state, row.changed_at, row.changed_by = to, at, actor.name
    try:
        session.flush()
    except StaleDataError as error:  # moved by someone else between our read and our write
        raise Conflict(
            f"the {RULES[CycleStep(row.name)].title} was moved by someone else at the same "
            "moment: nothing was changed, look at the current state and try again"
        ) from error
    record(
        session,
        actor,
        action,
        STEP,
        f"{row.cycle.month}/{row.name}",
        {"from": before, "to": to.value, "step": row.name, "cycle": row.cycle.month, **detail},
        at=at,
    )


def submit_step(
    session: Session,
    actor: Actor,
    step: str,
    *,
    month: str | None = None,
    plan_version_id: int | None = None,
    expected_version: int | None = None,
) -> StepInfo:
    """The step's owner submits it for approval; the previous step must be approved.

    The executive meeting is submitted with the supply plan put forward for decision (the base
    plan or a scenario run of the cycle's month, ``plan_version_id``); a draft is proposed on
    the way (`oneplan.services.versions.lifecycle.transition`). The caller commits.
    """
    cycle, steps, row = _step(session, step, month, expected_version)
    title = RULES[CycleStep(row.name)].title
    _may_submit(actor, row)
    if row.state == StepState.submitted:
        raise Conflict(
            f"the {title} of {cycle.month} is submitted already: it waits for its approval"
        )
    if row.state in LOCKED:
        raise Conflict(
            f"the {title} of {cycle.month} is {row.state} and locked: reopen it "
            "with a reason to change it"
        )
    if row.position > 1:
        before = steps[row.position - 2]
        if before.state not in LOCKED:
            raise Conflict(
                f"cannot submit the {title} of {cycle.month} before the "
                f"{RULES[CycleStep(before.name)].title} is approved (it is {before.state})"
            )
    detail: dict[str, Any] = {}
    if row.name == CycleStep.executive_meeting:
        row.plan_version_id = _put_forward(
            session, actor, cycle, plan_version_id or row.plan_version_id
        )
        detail["plan_version"] = row.plan_version_id
    elif plan_version_id is not None:
        raise InputError(
            "only the executive meeting puts a plan version forward",
            table="cycle",
            column="plan_version",
        )
    now = datetime.now(UTC)
    row.submitted_by, row.submitted_at, row.reason = actor.name, now, None
    _stamp(session, actor, row, StepState.submitted, "cycle.step.submit", now, **detail)
    return step_info(row)


def _put_forward(session: Session, actor: Actor, cycle: Cycle, version_id: int | None) -> int:
    if version_id is None:
        raise InputError(
            "is missing: the executive meeting is submitted with the supply plan it decides "
            "on (the base plan or a scenario run)",
            table="cycle",
            column="plan_version",
        )
    version = get_version(session, version_id)
    if version.kind not in SUPPLY_PLANS:
        raise Conflict(
            f"plan version {version.id} is a {version.kind} plan: the executive "
            "meeting decides on a supply plan, the base plan or a scenario run"
        )
    if version.cycle != cycle.month:
        raise Conflict(
            f"plan version {version.id} belongs to cycle {version.cycle}, not {cycle.month}"
        )
    if version.state == "draft":
        transition(session, actor, version.id, "propose")
    elif version.state not in ("proposed", "approved"):
        raise Conflict(
            f"plan version {version.id} is {version.state}: put forward a draft, "
            "proposed or approved plan"
        )
    return version.id


def approve_step(
    session: Session,
    actor: Actor,
    step: str,
    *,
    month: str | None = None,
    expected_version: int | None = None,
) -> StepInfo:
    """An approver signs the submitted step off; it is locked and the next step starts.

    Approving the executive meeting approves its plan version; approving the release releases
    it, marks every step done and closes the cycle. The caller commits.
    """
    cycle, steps, row = _step(session, step, month, expected_version)
    title = RULES[CycleStep(row.name)].title
    if row.state != StepState.submitted:
        raise Conflict(
            f"cannot approve the {title} of {cycle.month}: it is {row.state}, only "
            "a submitted step is approved"
        )
    _may_decide(session, actor, row, "approve")
    now = datetime.now(UTC)
    detail: dict[str, Any] = {}
    if row.name == CycleStep.executive_meeting:
        detail["plan_version"] = _approve_plan(session, actor, cycle, row)
    if row.name == CycleStep.release:
        detail["plan_version"] = _release_plan(session, actor, cycle)
    row.decided_by, row.decided_at = actor.name, now
    _stamp(session, actor, row, StepState.approved, "cycle.step.approve", now, **detail)
    if row.name == CycleStep.release:
        _close(session, actor, cycle, steps, now)
    elif steps[row.position].state == StepState.not_started:
        following = steps[row.position]
        _stamp(session, actor, following, StepState.in_progress, "cycle.step.start", now)
    return step_info(row)


def _approve_plan(session: Session, actor: Actor, cycle: Cycle, row: CycleStepRow) -> int:
    assert row.plan_version_id is not None  # set when it was submitted
    version = get_version(session, row.plan_version_id)
    if version.state == "proposed":
        transition(session, actor, version.id, "approve")
    elif version.state != "approved":
        raise Conflict(
            f"plan version {version.id} put forward is {version.state} now: reject "
            "the executive meeting and put forward another"
        )
    cycle.plan_version_id = version.id
    return version.id


def _release_plan(session: Session, actor: Actor, cycle: Cycle) -> int:
    if cycle.plan_version_id is None:
        raise Conflict(
            f"cycle {cycle.month} has no approved plan: approve the executive meeting first"
        )
    version = get_version(session, cycle.plan_version_id)
    if version.state == "approved":
        transition(session, actor, version.id, "release")
    elif version.state != "released":
        raise Conflict(
            f"plan version {version.id} approved by the executive meeting is "
            f"{version.state} now: reopen the executive meeting to decide again"
        )
    return version.id


def _close(
    session: Session, actor: Actor, cycle: Cycle, steps: list[CycleStepRow], at: datetime
) -> None:
    for each in steps:
        each.state, each.changed_at, each.changed_by = StepState.done, at, actor.name
    cycle.state, cycle.closed_at, cycle.closed_by = "closed", at, actor.name
    session.flush()
    detail = {"plan_version": cycle.plan_version_id}
    record(session, actor, "cycle.close", CYCLE, cycle.month, detail, at=at)


def reject_step(
    session: Session,
    actor: Actor,
    step: str,
    reason: str,
    *,
    month: str | None = None,
    expected_version: int | None = None,
) -> StepInfo:
    """An approver sends the submitted step back to its submitter with a reason; the step is
    ``rejected`` (worked on again, like in progress) until it is submitted again."""
    reason = _reason(reason)
    cycle, _, row = _step(session, step, month, expected_version)
    title = RULES[CycleStep(row.name)].title
    if row.state != StepState.submitted:
        raise Conflict(
            f"cannot reject the {title} of {cycle.month}: it is {row.state}, only "
            "a submitted step is rejected"
        )
    _may_decide(session, actor, row, "reject")
    now = datetime.now(UTC)
    row.decided_by, row.decided_at, row.reason = actor.name, now, reason
    detail = {"reason": reason, "returned_to": row.submitted_by}
    _stamp(session, actor, row, StepState.rejected, "cycle.step.reject", now, **detail)
    return step_info(row)


def reopen_step(
    session: Session,
    actor: Actor,
    step: str,
    reason: str,
    *,
    month: str | None = None,
    expected_version: int | None = None,
) -> list[StepInfo]:
    """Unlock an approved step with a reason: it and every later step that had started return
    to in progress (they rested on it). Reopening the executive meeting or an earlier step
    drops the cycle's approved plan: the meeting decides again. Returns the steps moved."""
    reason = _reason(reason)
    cycle, steps, row = _step(session, step, month, expected_version)
    rule = RULES[CycleStep(row.name)]
    if not holds(actor, rule.approvers):
        raise refuse(actor, f"reopen the {rule.title}", rule.approvers)
    if row.state != StepState.approved:
        raise Conflict(
            f"cannot reopen the {rule.title} of {cycle.month}: it is {row.state}, "
            "only an approved step is reopened"
        )
    later = [s for s in steps[row.position :] if s.state != StepState.not_started]
    now = datetime.now(UTC)
    row.reason = reason
    returned = [s.name for s in later]
    dropped = None
    if row.position <= list(RULES).index(CycleStep.executive_meeting) + 1:
        dropped, cycle.plan_version_id = cycle.plan_version_id, None
    detail = {"reason": reason, "returned": returned, "dropped_plan": dropped}
    _stamp(session, actor, row, StepState.in_progress, "cycle.step.reopen", now, **detail)
    for each in later:
        each.reason = f"{rule.title} reopened: {reason}"
        _stamp(
            session,
            actor,
            each,
            StepState.in_progress,
            "cycle.step.return",
            now,
            reason=reason,
            reopened=row.name,
        )
    return [step_info(s) for s in (row, *later)]


def _reason(reason: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise InputError("is empty: say why", table="cycle", column="reason")
    return reason
