"""Demand overrides: list, show, record (one month or a range), withdraw.

An override is recorded by whoever may override demand over the node it changes: a sales
manager for hoses overrides hoses and nothing else. Withdrawing one keeps it as a record.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

from fastapi import APIRouter, Query, Response

from oneplan.api.deps import CurrentActor, IfMatch, SessionDep, etag
from oneplan.services.demand.schemas import OverrideOut, OverridePage, OverrideRequest

router = APIRouter(prefix="/demand/overrides", tags=["demand overrides"])


class OverrideState(StrEnum):
    applying = "applying"
    withdrawn = "withdrawn"
    all = "all"


@router.get("")
def list_demand_overrides(
    session: SessionDep,
    actor: CurrentActor,
    cycle: Annotated[str | None, Query(pattern=r"^\d{4}-\d{2}$")] = None,
    author: str | None = None,
    state: OverrideState = OverrideState.applying,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> OverridePage:
    """Overrides newest first: those that apply (default), those withdrawn, or all."""
    from oneplan.services.demand.overrides import list_overrides

    withdrawn = {"applying": False, "withdrawn": True, "all": None}[state.value]
    return list_overrides(
        session,
        actor,
        cycle=cycle,
        author=author,
        withdrawn=withdrawn,
        limit=limit,
        offset=offset,
    )


@router.get("/{override_id}")
def show_demand_override(
    override_id: int, response: Response, session: SessionDep, actor: CurrentActor
) -> OverrideOut:
    """One override; its ETag names its version."""
    from oneplan.services.demand.overrides import get_override

    found = get_override(session, actor, override_id)
    response.headers["ETag"] = etag(found.version)
    return found


@router.post("", status_code=201, responses={422: {}, 403: {}})
def create_demand_overrides(
    body: OverrideRequest, session: SessionDep, actor: CurrentActor
) -> list[OverrideOut]:
    """Record an override (``absolute``: the node's total in units; ``relative``: a change
    in percent) for one month, or the same for each month through ``to``; all or nothing."""
    from oneplan.services.demand.overrides import add_override_months
    from oneplan.services.demand.schemas import OverrideIn

    override = OverrideIn.model_validate(body.model_dump(exclude={"to", "cycle"}))
    return add_override_months(session, actor, override, to=body.to, cycle=body.cycle)


@router.delete("/{override_id}", responses={412: {}, 428: {}, 409: {}})
def withdraw_demand_override(
    override_id: int,
    expected: IfMatch,
    response: Response,
    session: SessionDep,
    actor: CurrentActor,
    reason: str = "",
) -> OverrideOut:
    """Withdraw an override: it stops applying from the next demand run, kept as a record."""
    from oneplan.services.demand.overrides import withdraw_override

    found = withdraw_override(session, actor, override_id, reason=reason, expected=expected)
    response.headers["ETag"] = etag(found.version)
    return found
