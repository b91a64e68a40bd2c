"""Who hears of a step's moves, in the move's own transaction: the approvers when a step is
submitted, the submitter when it is rejected; and the reminders of steps due soon or overdue,
written from the calendar by `remind_steps` (``oneplan inbox remind``, docs/cycle.md)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session

from oneplan.choices import CycleStep, NoticeKind, StepState
from oneplan.db.cycles import Cycle, CycleStepRow
from oneplan.services.actor import Actor
from oneplan.services.cycle.calendar import RULES
from oneplan.services.cycle.service import LOCKED
from oneplan.services.inbox.schemas import NoticeInfo
from oneplan.services.inbox.service import notify, users_holding
from oneplan.services.permissions import Permission, Role, require_some


def _about(row: CycleStepRow) -> tuple[str, str]:
    return ("cycle_step", f"{row.cycle.month}/{row.name}")


def tell_approvers(session: Session, actor: Actor, row: CycleStepRow) -> None:
    """A step was submitted: those who may approve it hear of it (its approver roles; the
    administrators when nobody holds one), never its submitter."""
    rule = RULES[CycleStep(row.name)]
    approvers = users_holding(session, rule.approvers) or users_holding(session, (Role.admin,))
    version = f"; plan version #{row.plan_version_id} put forward" if row.plan_version_id else ""
    notify(
        session,
        [name for name in approvers if name != actor.name],
        NoticeKind.approval_requested,
        f"The {rule.title} of {row.cycle.month} waits for your approval",
        caused_by=actor.name,
        body=f"Submitted by {actor.name}{version}. Approve or reject it: "
        f"oneplan cycle approve {row.name} / oneplan cycle reject {row.name} --reason ...",
        about=_about(row),
        at=row.changed_at,
    )


def tell_submitter(session: Session, actor: Actor, row: CycleStepRow) -> None:
    """A step was rejected: its submitter hears why."""
    if not row.submitted_by or row.submitted_by == actor.name:
        return
    rule = RULES[CycleStep(row.name)]
    notify(
        session,
        [row.submitted_by],
        NoticeKind.step_rejected,
        f"The {rule.title} of {row.cycle.month} was rejected back to you by {actor.name}",
        caused_by=actor.name,
        body=f"Reason: {row.reason}",
        about=_about(row),
        at=row.changed_at,
    )


def remind_steps(
    session: Session, actor: Actor, *, today: date | None = None, days_before: int = 2
) -> list[NoticeInfo]:
    """Tell the owners of the open cycle's steps that are not submitted or signed off when one
    is due within ``days_before`` days, and again once it is overdue; each reminder once per
    person, step and due date, however often this runs. The notifications written."""
    require_some(actor, Permission.read)
    today = today or datetime.now(UTC).date()
    rows = session.scalars(
        sa.select(CycleStepRow)
        .join(Cycle, Cycle.id == CycleStepRow.cycle_id)
        .where(Cycle.state == "open", CycleStepRow.state.not_in([*LOCKED, StepState.submitted]))
        .order_by(CycleStepRow.position)
    ).all()
    written: list[NoticeInfo] = []
    for row in rows:
        if row.due_on > today + timedelta(days=days_before):
            continue
        rule = RULES[CycleStep(row.name)]
        late = row.due_on < today
        kind = NoticeKind.step_overdue if late else NoticeKind.step_due
        owners = [row.owner_user] if row.owner_user else users_holding(session, (rule.owner,))
        title = (
            f"The {rule.title} of {row.cycle.month} is overdue: it was due {row.due_on:%Y-%m-%d}"
            if late
            else f"The {rule.title} of {row.cycle.month} is due {row.due_on:%Y-%m-%d}"
        )
        written += notify(
            session,
            owners,
            kind,
            title,
            caused_by=actor.name,
            body=f"It is {row.state}; submit it with: oneplan cycle submit {row.name}",
            about=_about(row),
            once_key=f"{kind.value}:{row.cycle.month}/{row.name}/{row.due_on:%Y-%m-%d}",
        )
    return written
