"""The S&OP month: open a cycle, see its steps, move them (submit, approve, reject, reopen,
assign) and keep the decisions of the executive meeting (docs/cycle.md).

A step's ETag is its version: every move names the version it was made on in If-Match, so a
move on a step someone else moved since is refused with 412 and the step as it is now. The
same holds for closing a decision.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query, Response
from pydantic import BaseModel, Field

from oneplan.api.deps import CurrentActor, IfMatch, SessionDep, etag
from oneplan.choices import CycleStep, DecisionStatus
from oneplan.services.cycle.schemas import CycleInfo, CycleOpened, DecisionInfo, StepInfo

router = APIRouter(tags=["cycles"])
Month = Annotated[str, Path(pattern=r"^\d{4}-\d{2}$", description="The cycle's month, YYYY-MM")]
MOVES: dict[int | str, dict[str, Any]] = {
    403: {"description": "The actor's role may not make this move, or they submitted the step"},
    409: {"description": "The step's state or the cycle does not allow this move"},
    412: {"description": "The step was moved since it was read; the current step"},
    428: {"description": "No If-Match header"},
}


class Opening(BaseModel):
    month: str | None = Field(
        default=None,
        pattern=r"^\d{4}-\d{2}$",
        description="The month to open (default: the month after the newest cycle; for the first, "
        "the month of the plan_start parameter)",
    )


class Submission(BaseModel):
    plan_version_id: int | None = Field(
        default=None,
        description="The executive meeting only: the supply plan put forward for decision",
    )


class Reason(BaseModel):
    reason: str = Field(description="Why: told to the submitter, kept in the audit trail")


class Assignment(BaseModel):
    owner_user: str | None = Field(
        default=None, description='The one person who submits the step ("" lets the role again)'
    )
    due_on: date | None = None


class NewDecision(BaseModel):
    text: str
    owner: str = Field(description="Who carries it out")
    due_on: date | None = None
    scenario: str | None = None
    issue_rank: int | None = None
    plan_version_id: int | None = None


class Closing(BaseModel):
    status: Literal["done", "dropped"] = "done"
    note: str = ""


@router.get("/cycles")
def list_cycles(session: SessionDep, actor: CurrentActor) -> list[CycleInfo]:
    """Every cycle, with its steps and agenda."""
    from oneplan.services.cycle.service import list_cycles

    return list_cycles(session, actor)


@router.post("/cycles", status_code=201, responses={403: {}, 409: {}, 422: {}})
def open_cycle(
    session: SessionDep, actor: CurrentActor, body: Opening | None = None
) -> CycleOpened:
    """Open the cycle of a month: lays out its calendar, sets the plan start and carries the
    open decisions onto its agenda."""
    from oneplan.services.cycle.service import open_cycle

    return open_cycle(session, actor, body.month if body is not None else None)


@router.get("/cycles/{month}")
def show_cycle(month: Month, session: SessionDep, actor: CurrentActor) -> CycleInfo:
    """A cycle: its steps in order (each with its version, the ETag its moves need) and its
    agenda."""
    from oneplan.services.cycle.service import cycle_status

    return cycle_status(session, actor, month)


@router.get("/cycles/{month}/steps/{step}")
def show_cycle_step(
    month: Month, step: CycleStep, response: Response, session: SessionDep, actor: CurrentActor
) -> StepInfo:
    """One step of a cycle; its ETag is what a move sends in If-Match."""
    from oneplan.services.cycle.service import cycle_status

    found = next(s for s in cycle_status(session, actor, month).steps if s.name == step)
    response.headers["ETag"] = etag(found.version)
    return found


def _tagged(found: StepInfo, response: Response) -> StepInfo:
    response.headers["ETag"] = etag(found.version)
    return found


@router.post("/cycles/{month}/steps/{step}/submit", responses=MOVES)
def submit_cycle_step(
    month: Month,
    step: CycleStep,
    expected: IfMatch,
    response: Response,
    session: SessionDep,
    actor: CurrentActor,
    body: Submission | None = None,
) -> StepInfo:
    """The step's owner submits it for approval (the previous step must be approved); the
    executive meeting names the supply plan it decides on."""
    from oneplan.services.cycle.moves import submit_step

    version_id = body.plan_version_id if body is not None else None
    found = submit_step(
        session, actor, step, month=month, plan_version_id=version_id, expected_version=expected
    )
    return _tagged(found, response)


@router.post("/cycles/{month}/steps/{step}/approve", responses=MOVES)
def approve_cycle_step(
    month: Month,
    step: CycleStep,
    expected: IfMatch,
    response: Response,
    session: SessionDep,
    actor: CurrentActor,
) -> StepInfo:
    """An approver, not the submitter, signs the step off; the next step starts. Approving the
    executive meeting approves its plan; approving the release releases it and closes the
    cycle."""
    from oneplan.services.cycle.moves import approve_step

    found = approve_step(session, actor, step, month=month, expected_version=expected)
    return _tagged(found, response)


@router.post("/cycles/{month}/steps/{step}/reject", responses=MOVES)
def reject_cycle_step(
    month: Month,
    step: CycleStep,
    body: Reason,
    expected: IfMatch,
    response: Response,
    session: SessionDep,
    actor: CurrentActor,
) -> StepInfo:
    """An approver sends the submitted step back to its submitter with a reason."""
    from oneplan.services.cycle.moves import reject_step

    found = reject_step(session, actor, step, body.reason, month=month, expected_version=expected)
    return _tagged(found, response)


@router.post("/cycles/{month}/steps/{step}/reopen", responses=MOVES)
def reopen_cycle_step(
    month: Month,
    step: CycleStep,
    body: Reason,
    expected: IfMatch,
    response: Response,
    session: SessionDep,
    actor: CurrentActor,
) -> list[StepInfo]:
    """Unlock an approved step with a reason; it and the later steps that had started return
    to in progress. The ETag is the reopened step's."""
    from oneplan.services.cycle.moves import reopen_step

    moved = reopen_step(session, actor, step, body.reason, month=month, expected_version=expected)
    response.headers["ETag"] = etag(moved[0].version)
    return moved


@router.post("/cycles/{month}/steps/{step}/assign", responses=MOVES)
def assign_cycle_step(
    month: Month,
    step: CycleStep,
    body: Assignment,
    expected: IfMatch,
    response: Response,
    session: SessionDep,
    actor: CurrentActor,
) -> StepInfo:
    """Name the person who submits the step and/or move its due date."""
    from oneplan.services.cycle.moves import assign_step

    found = assign_step(
        session,
        actor,
        step,
        owner_user=body.owner_user,
        due_on=body.due_on,
        month=month,
        expected_version=expected,
    )
    return _tagged(found, response)


@router.get("/cycles/{month}/decisions")
def list_cycle_decisions(
    month: Month,
    session: SessionDep,
    actor: CurrentActor,
    status: Annotated[DecisionStatus | None, Query()] = None,
) -> list[DecisionInfo]:
    """The agenda of a cycle: its decisions, oldest first, of one status if told."""
    from oneplan.services.cycle.decisions import list_decisions
    from oneplan.services.cycle.service import get_cycle

    get_cycle(session, month)  # a month without a cycle is 404, not an empty agenda
    return list_decisions(session, actor, month=month, status=status)


@router.post("/cycles/{month}/decisions", status_code=201, responses={403: {}, 404: {}, 422: {}})
def add_cycle_decision(
    month: Month, body: NewDecision, response: Response, session: SessionDep, actor: CurrentActor
) -> DecisionInfo:
    """Record a decision taken in the cycle's executive meeting; it stays on the agenda, from
    cycle to cycle, until closed."""
    from oneplan.services.cycle.decisions import add_decision

    found = add_decision(
        session,
        actor,
        body.text,
        body.owner,
        due_on=body.due_on,
        scenario=body.scenario,
        issue_rank=body.issue_rank,
        plan_version_id=body.plan_version_id,
        month=month,
    )
    response.headers["ETag"] = etag(found.version)
    return found


@router.post("/decisions/{decision_id}/close", responses={**MOVES, 404: {}}, tags=["cycles"])
def close_cycle_decision(
    decision_id: int,
    expected: IfMatch,
    response: Response,
    session: SessionDep,
    actor: CurrentActor,
    body: Closing | None = None,
) -> DecisionInfo:
    """Mark an open decision done or dropped, with a note; by those who write the minutes or
    by the decision's owner."""
    from oneplan.services.cycle.decisions import close_decision

    closing = body or Closing()
    found = close_decision(
        session, actor, decision_id, closing.status, closing.note, expected_version=expected
    )
    response.headers["ETag"] = etag(found.version)
    return found
