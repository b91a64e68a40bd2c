"""Plan versions: list a page at a time, show one, compare two, and move one through its life.

Every move names the state it was asked on (If-Match: the ETag of a GET): a move on a state
that changed since is refused with 412 and the current state; two people approving at once get
one approval and one refusal.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Response
from pydantic import BaseModel

from oneplan.api.deps import CurrentActor, IfMatch, SessionDep, etag
from oneplan.choices import PlanAction, PlanState
from oneplan.services.versions.schemas import (
    DiffRows,
    DiffRowsPage,
    PlanDiffView,
    Transition,
    VersionInfo,
    VersionPage,
)

router = APIRouter(prefix="/plan-versions", tags=["plan versions"])
MOVES: dict[int | str, dict[str, Any]] = {
    409: {"description": "The state does not allow this move"},
    412: {"description": "The version changed since it was read; the current state"},
    428: {"description": "No If-Match header"},
}


class Supersession(BaseModel):
    reason: str = ""


@router.get("")
def list_plan_versions(
    session: SessionDep,
    actor: CurrentActor,
    kind: str | None = None,
    state: PlanState | None = None,
    cycle: Annotated[str | None, Query(pattern=r"^\d{4}-\d{2}$")] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> VersionPage:
    """Plan versions, newest first, of one kind, state and cycle if told."""
    from oneplan.services.versions.service import page_versions

    found_state = state.value if state is not None else None
    return page_versions(
        session, actor, kind=kind, state=found_state, cycle=cycle, limit=limit, offset=offset
    )


@router.get("/{version_id}")
def show_plan_version(
    version_id: int, response: Response, session: SessionDep, actor: CurrentActor
) -> VersionInfo:
    """One version with the row count of each frame; its ETag names its state."""
    from oneplan.services.versions.service import show_version

    found = show_version(session, actor, version_id)
    response.headers["ETag"] = etag(found.version)
    return found


DIFF: dict[int | str, dict[str, Any]] = {
    404: {"description": "No such version, or neither has the frame"},
    409: {"description": "The versions are of different kinds"},
}


@router.get("/{a}/diff/{b}", responses=DIFF)
def diff_plan_versions(
    a: int,
    b: int,
    session: SessionDep,
    actor: CurrentActor,
    frame: Annotated[
        list[str] | None, Query(description="Only this frame (repeat for several); none: all.")
    ] = None,
) -> PlanDiffView:
    """Compare version ``a`` (before) with ``b`` (after), of the same kind: headline figures
    side by side and, per frame, how many rows were added, removed and changed, with the totals
    of the columns that add up. The rows: `diff_plan_version_rows`."""
    from oneplan.services.versions.service import diff

    return PlanDiffView.of(diff(session, actor, a, b, frame))


@router.get("/{a}/diff/{b}/{frame}", responses=DIFF)
def diff_plan_version_rows(
    a: int,
    b: int,
    frame: str,
    session: SessionDep,
    actor: CurrentActor,
    rows: DiffRows = DiffRows.changed,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> DiffRowsPage:
    """A page of one frame's rows added in ``b``, removed from ``a``, or changed (each with its
    value in a and b and the change), matched on the frame's natural keys."""
    from oneplan.services.versions.service import diff

    found = diff(session, actor, a, b, [frame]).frames[frame]
    return DiffRowsPage.of(found, rows, offset, limit)


def _move(
    session: SessionDep,
    actor: CurrentActor,
    version_id: int,
    action: PlanAction,
    expected: int | None,
    response: Response,
) -> Transition:
    from oneplan.services.versions.lifecycle import transition

    moved = transition(session, actor, version_id, action.value, expected=expected)
    session.flush()
    response.headers["ETag"] = etag(moved.version.version)
    return moved


@router.post("/{version_id}/propose", responses=MOVES)
def propose_plan_version(
    version_id: int, expected: IfMatch, response: Response, session: SessionDep, actor: CurrentActor
) -> Transition:
    """draft -> proposed."""
    return _move(session, actor, version_id, PlanAction.propose, expected, response)


@router.post("/{version_id}/approve", responses=MOVES)
def approve_plan_version(
    version_id: int, expected: IfMatch, response: Response, session: SessionDep, actor: CurrentActor
) -> Transition:
    """proposed -> approved, by someone else than its author and proposer; the family's plan
    in force before is superseded."""
    return _move(session, actor, version_id, PlanAction.approve, expected, response)


@router.post("/{version_id}/release", responses=MOVES)
def release_plan_version(
    version_id: int, expected: IfMatch, response: Response, session: SessionDep, actor: CurrentActor
) -> Transition:
    """approved -> released."""
    return _move(session, actor, version_id, PlanAction.release, expected, response)


@router.post("/{version_id}/supersede", responses=MOVES)
def supersede_plan_version(
    version_id: int,
    expected: IfMatch,
    response: Response,
    session: SessionDep,
    actor: CurrentActor,
    body: Supersession | None = None,
) -> VersionInfo:
    """Withdraw a version by hand (any state but superseded); it is kept as a record."""
    from oneplan.services.versions.lifecycle import supersede

    reason = body.reason if body is not None else ""
    found = supersede(session, actor, version_id, reason, expected=expected)
    session.flush()
    response.headers["ETag"] = etag(found.version)
    return found
