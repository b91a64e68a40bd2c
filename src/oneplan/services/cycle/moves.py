"""The moves of a cycle's steps: submit them in order, approve or reject them (four eyes), reopen
one with a reason, give one to a person (docs/cycle.md).

States of a step and the moves between them::

    not_started -> in_progress -> submitted -> approved -> done (every step, when the month closes)
    submitted -> rejected (reason; back with its submitter) -> submitted
    approved -> in_progress (reopen, reason; the later steps that had started return too)

The executive meeting approves one supply plan (the base plan or a scenario run) through the
plan versions' own lifecycle; the release step releases it and closes the cycle. Every move
stamps the step, writes an audit event in the caller's transaction and only flushes.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any, Literal

from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from oneplan.choices import CycleStep, StepState
from oneplan.db.cycles import Cycle, CycleStepRow
from oneplan.errors import Conflict, InputError, PermissionDenied, Stale
from oneplan.services.actor import Actor
from oneplan.services.audit.service import record
from oneplan.services.cycle.calendar import RULES
from oneplan.services.cycle.notices import tell_approvers, tell_submitter
from oneplan.services.cycle.schemas import StepInfo
from oneplan.services.cycle.service import (
    CYCLE,
    LOCKED,
    OPENERS,
    STEP,
    get_cycle,
    holds,
    locked_steps,
    refuse,
    step_info,
)
from oneplan.services.users.actors import actor_of, has_users
from oneplan.services.users.service import get_user
from oneplan.services.versions.lifecycle import SUPPLY_PLANS, transition
from oneplan.services.versions.store import get_version


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
    steps = locked_steps(session, cycle)
    row = next(s for s in steps if s.name == name)
    if expected_version is not None and row.version != expected_version:
        raise Stale(
            f"the {RULES[name].title} of {cycle.month} was moved by {row.changed_by} since you "
            f"read it (version {expected_version}, now {row.version}, {row.state}): nothing "
            "was changed, look at the current state and try again",
            current=step_info(row),
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
    tell_approvers(session, actor, row)
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


def _submitted_step(
    session: Session,
    actor: Actor,
    step: str,
    month: str | None,
    expected_version: int | None,
    verb: Literal["approve", "reject"],
) -> tuple[Cycle, list[CycleStepRow], CycleStepRow]:
    """The submitted step an approver is about to ``verb``, once the actor may decide on it."""
    cycle, steps, row = _step(session, step, month, expected_version)
    if row.state != StepState.submitted:
        raise Conflict(
            f"cannot {verb} the {RULES[CycleStep(row.name)].title} of {cycle.month}: it is "
            f"{row.state}, only a submitted step is {verb.removesuffix('e')}ed"
        )
    _may_decide(session, actor, row, verb)
    return cycle, steps, row


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
    cycle, steps, row = _submitted_step(session, actor, step, month, expected_version, "approve")
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
    *_, row = _submitted_step(session, actor, step, month, expected_version, "reject")
    now = datetime.now(UTC)
    row.decided_by, row.decided_at, row.reason = actor.name, now, reason
    detail = {"reason": reason, "returned_to": row.submitted_by}
    _stamp(session, actor, row, StepState.rejected, "cycle.step.reject", now, **detail)
    tell_submitter(session, actor, row)
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


def assign_step(
    session: Session,
    actor: Actor,
    step: str,
    *,
    owner_user: str | None = None,
    due_on: date | None = None,
    month: str | None = None,
    expected_version: int | None = None,
) -> StepInfo:
    """Name the one person who submits a step (a user holding its owner role; ``""`` lets
    anyone with the role submit again) and/or move its due date, by whoever opens cycles.
    A signed-off step is locked: refused with ``Conflict``. The caller commits."""
    if not holds(actor, OPENERS):
        raise refuse(actor, "plan the steps of a cycle", OPENERS)
    cycle, _, row = _step(session, step, month, expected_version)
    rule = RULES[CycleStep(row.name)]
    if row.state in LOCKED:
        raise Conflict(
            f"the {rule.title} of {cycle.month} is {row.state} and locked: reopen "
            "it with a reason to change it"
        )
    detail: dict[str, Any] = {}
    if owner_user is not None:
        named = owner_user.strip() or None
        user = get_user(session, named) if named is not None and has_users(session) else None
        if user is not None and not holds(actor_of(user), (rule.owner,)):
            raise Conflict(
                f"{named} does not hold the role {rule.owner.value} over the whole company: "
                f"they cannot submit the {rule.title}"
            )
        detail["owner_user"] = {"from": row.owner_user, "to": named}
        row.owner_user = named
    if due_on is not None:
        detail["due_on"] = {"from": f"{row.due_on:%Y-%m-%d}", "to": f"{due_on:%Y-%m-%d}"}
        row.due_on = due_on
    if not detail:
        raise InputError(
            "names nothing to change: give an owner or a due date", table="cycle", column="step"
        )
    now = datetime.now(UTC)
    _stamp(session, actor, row, StepState(row.state), "cycle.step.assign", now, **detail)
    return step_info(row)


def _reason(reason: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise InputError("is empty: say why", table="cycle", column="reason")
    return reason
