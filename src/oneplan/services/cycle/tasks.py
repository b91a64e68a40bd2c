"""What waits for one person in the open cycle: the steps they own and have to do, the steps
submitted for their approval (never their own submission: four eyes), and the open decisions
they own. The home page, ``oneplan cycle status`` and the API ask the same question here."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict
from sqlalchemy.orm import Session

from oneplan.choices import DecisionStatus, StepState
from oneplan.services.actor import Actor
from oneplan.services.cycle.schemas import DecisionInfo, StepInfo
from oneplan.services.cycle.service import cycle_status, holds, open_cycle_row
from oneplan.services.permissions import Role

TO_DO = frozenset({StepState.not_started, StepState.in_progress, StepState.rejected})


class MyTasks(BaseModel):
    """One person's work in the open cycle (``month`` None: no cycle is open)."""

    model_config = ConfigDict(frozen=True)

    month: str | None
    to_do: list[StepInfo]
    to_approve: list[StepInfo]
    decisions: list[DecisionInfo]


def owns(actor: Actor, step: StepInfo) -> bool:
    """The step is the actor's to do: assigned to them by name, or to a role they hold over the
    whole company when no one is named."""
    if step.owner_user is not None:
        return step.owner_user == actor.name
    return holds(actor, (Role(step.owner_role),))


def may_approve(actor: Actor, step: StepInfo) -> bool:
    """The actor may sign the submitted step off: an approver role, and not its submitter."""
    return (
        step.state == StepState.submitted
        and step.submitted_by != actor.name
        and holds(actor, tuple(Role(r) for r in step.approver_roles))
    )


def my_tasks(session: Session, actor: Actor) -> MyTasks:
    """The actor's steps to do and to approve in the open cycle, and their open decisions."""
    if open_cycle_row(session) is None:
        return MyTasks(month=None, to_do=[], to_approve=[], decisions=[])
    cycle = cycle_status(session, actor)
    return MyTasks(
        month=cycle.month,
        to_do=[s for s in cycle.steps if s.state in TO_DO and owns(actor, s)],
        to_approve=[s for s in cycle.steps if may_approve(actor, s)],
        decisions=[
            d for d in cycle.agenda if d.status == DecisionStatus.open and d.owner == actor.name
        ],
    )
