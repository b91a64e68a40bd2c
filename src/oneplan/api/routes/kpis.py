"""KPIs cycle over cycle: each closed cycle's released plan against the actuals that arrived
after it (docs/cycle.md, "KPIs cycle over cycle")."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from oneplan.api.deps import CurrentActor, SessionDep
from oneplan.services.cycle.schemas import CycleKpis

router = APIRouter(tags=["cycles"])


@router.get("/cycles/kpis", responses={403: {}, 422: {}})
def cycle_kpis(
    session: SessionDep,
    actor: CurrentActor,
    month: Annotated[
        list[str] | None,
        Query(description="Only these closed cycles (YYYY-MM, repeatable); default: all"),
    ] = None,
) -> CycleKpis:
    """The KPIs of every closed cycle, one row per cycle, KPI, layer and lag: forecast accuracy
    and bias, forecast value added, on-time delivery, production plan adherence, capacity
    utilisation, inventory turns and days of supply, gross margin against budget, working
    capital and the S&OP cycle time. ``basis`` says whether a figure is measured against
    actuals, taken from the released plan, pending or missing (``note`` says why)."""
    from oneplan.services.cycle.kpis import cycle_kpis

    return cycle_kpis(session, actor, month)
