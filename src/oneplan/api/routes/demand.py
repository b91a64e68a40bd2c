"""The stored demand plan: figures at any level of the hierarchy, a node's planning grid rows
(statistical, each adjustment layer, consensus), and the item x location planning grid.

Each read is limited to the reader's scope: a node is shown to whoever's grants cover every
item x location under it.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from oneplan.api.deps import CurrentActor, SessionDep
from oneplan.api.params import End, Limit, Offset, Start, version_query
from oneplan.choices import OverrideLevel
from oneplan.services.demand.schemas import DemandPlanPage, GridPage, NodeLayers

router = APIRouter(prefix="/demand", tags=["demand plan"])

Version = Annotated[int | None, version_query("demand plan")]
READ: dict[int | str, dict[str, str]] = {
    403: {"description": "The node reaches families or locations outside the reader's grants"},
    404: {"description": "No such demand plan version or node"},
}


@router.get("/plan", responses=READ)
def read_demand_plan(
    session: SessionDep,
    actor: CurrentActor,
    version: Version = None,
    level: OverrideLevel = OverrideLevel.family,
    member: Annotated[
        str | None, Query(description="Only this member; ITEM|LOCATION for item_location.")
    ] = None,
    start: Start = None,
    end: End = None,
    limit: Limit = 100,
    offset: Offset = 0,
) -> DemandPlanPage:
    """Layers, consensus units and value per member of a level and month, by member and month:
    the total, a region, family, category, location, item, or item x location."""
    from oneplan.services.demand.reading import demand_plan

    return demand_plan(
        session,
        actor,
        version_id=version,
        level=level.value,
        member=member,
        start=start,
        end=end,
        limit=limit,
        offset=offset,
    )


@router.get("/plan/{level}/layers", responses=READ)
def read_demand_node_layers(
    level: OverrideLevel,
    session: SessionDep,
    actor: CurrentActor,
    member: Annotated[
        str, Query(description="Code at the level; ITEM|LOCATION; empty for the total.")
    ] = "",
    version: Version = None,
    start: Start = None,
    end: End = None,
) -> NodeLayers:
    """One node's planning grid rows, a column per month: statistical, lifecycle, events,
    overrides, consensus (units and value); and the overrides recorded at the node."""
    from oneplan.services.demand.reading import node_layers

    return node_layers(
        session,
        actor,
        level=level.value,
        member=member,
        version_id=version,
        start=start,
        end=end,
    )


@router.get("/grid", responses=READ)
def read_demand_grid(
    session: SessionDep,
    actor: CurrentActor,
    version: Version = None,
    family: str | None = None,
    location: str | None = None,
    item: str | None = None,
    start: Start = None,
    end: End = None,
    limit: Limit = 100,
    offset: Offset = 0,
) -> GridPage:
    """The planning grid: consensus units per item x location (a row) and month (a column), as
    `oneplan demand export` writes it, of one family, location or item if told."""
    from oneplan.services.demand.reading import grid_rows

    return grid_rows(
        session,
        actor,
        version_id=version,
        family=family,
        location=location,
        item=item,
        start=start,
        end=end,
        limit=limit,
        offset=offset,
    )
