"""A supply plan version's explanations: utilisation by resource and month, the binding
constraints with their shadow prices in money and words, unmet demand with its cause, and the
workforce. Each list holds the rows within the reader's scope, a page at a time."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter

from oneplan.api.deps import CurrentActor, SessionDep
from oneplan.api.params import End, Limit, Offset, Start, version_query
from oneplan.services.supply.schemas import (
    BindingConstraintRow,
    ExplanationPage,
    UnmetDemandRow,
    UtilisationRow,
    WorkforceRow,
)

router = APIRouter(prefix="/supply", tags=["supply plan"])

Version = Annotated[int | None, version_query("supply plan (a scenario run holds the same frames)")]
READ: dict[int | str, dict[str, str]] = {404: {"description": "No such version, or no such frame"}}


@router.get("/utilisation", responses=READ)
def read_supply_utilisation(
    session: SessionDep,
    actor: CurrentActor,
    version: Version = None,
    resource: str | None = None,
    start: Start = None,
    end: End = None,
    limit: Limit = 100,
    offset: Offset = 0,
) -> ExplanationPage[UtilisationRow]:
    """Each resource and month: capacity, hours used, overtime, relaxation, utilisation and
    what one more hour is worth."""
    from oneplan.services.supply.explanations import utilisation

    return utilisation(
        session,
        actor,
        version_id=version,
        resource=resource,
        start=start,
        end=end,
        limit=limit,
        offset=offset,
    )


@router.get("/binding-constraints", responses=READ)
def read_supply_binding_constraints(
    session: SessionDep,
    actor: CurrentActor,
    version: Version = None,
    resource: str | None = None,
    start: Start = None,
    end: End = None,
    limit: Limit = 100,
    offset: Offset = 0,
) -> ExplanationPage[BindingConstraintRow]:
    """The limits the plan runs into, the costliest first: shadow price in money and words."""
    from oneplan.services.supply.explanations import binding_constraints

    return binding_constraints(
        session,
        actor,
        version_id=version,
        resource=resource,
        start=start,
        end=end,
        limit=limit,
        offset=offset,
    )


@router.get("/unmet-demand", responses=READ)
def read_supply_unmet_demand(
    session: SessionDep,
    actor: CurrentActor,
    version: Version = None,
    item: str | None = None,
    location: str | None = None,
    start: Start = None,
    end: End = None,
    limit: Limit = 100,
    offset: Offset = 0,
) -> ExplanationPage[UnmetDemandRow]:
    """Demand not met on time (backlog, lost sales), the largest first, with its cause."""
    from oneplan.services.supply.explanations import unmet_demand

    return unmet_demand(
        session,
        actor,
        version_id=version,
        item=item,
        location=location,
        start=start,
        end=end,
        limit=limit,
        offset=offset,
    )


@router.get("/workforce", responses=READ)
def read_supply_workforce(
    session: SessionDep,
    actor: CurrentActor,
    version: Version = None,
    resource: str | None = None,
    start: Start = None,
    end: End = None,
    limit: Limit = 100,
    offset: Offset = 0,
) -> ExplanationPage[WorkforceRow]:
    """Each labour pool and month: workers, hires, lay-offs, regular and overtime hours."""
    from oneplan.services.supply.explanations import workforce

    return workforce(
        session,
        actor,
        version_id=version,
        resource=resource,
        start=start,
        end=end,
        limit=limit,
        offset=offset,
    )
