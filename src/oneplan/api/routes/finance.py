"""The financial plan: by month, quarter or year, the variance to budget, the revenue and
margin bridges, and the ranked decisions. Reads are limited to the reader's scope: a family's
rows to grants over it; the company total, its cash and the bridges to grants without scope."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from oneplan.api.deps import CurrentActor, SessionDep
from oneplan.api.params import End, Limit, Offset, Start, version_query
from oneplan.choices import BridgeMeasure, FinanceLevel, Grain
from oneplan.services.finance.schemas import (
    DecisionPage,
    FinancePlanPage,
    MoneyBridge,
    VariancePage,
)

router = APIRouter(prefix="/finance", tags=["financial plan"])

Version = Annotated[int | None, version_query("financial plan")]
READ: dict[int | str, dict[str, str]] = {
    403: {"description": "The figures reach families or locations outside the reader's grants"},
    404: {"description": "No financial plan version"},
}


@router.get("/plan", responses=READ)
def read_financial_plan(
    session: SessionDep,
    actor: CurrentActor,
    version: Version = None,
    grain: Grain = Grain.month,
    level: FinanceLevel = FinanceLevel.total,
    family: Annotated[str | None, Query(description="Only this family (level family).")] = None,
    start: Start = None,
    end: End = None,
    limit: Limit = 100,
    offset: Offset = 0,
) -> FinancePlanPage:
    """Revenue, COGS, margin, margin %, working capital (and, for the company, period costs,
    operating profit and cash) per month, quarter or year."""
    from oneplan.services.finance.reading import financial_plan

    return financial_plan(
        session,
        actor,
        version_id=version,
        grain=grain.value,
        level=level.value,
        family=family,
        start=start,
        end=end,
        limit=limit,
        offset=offset,
    )


@router.get("/budget-variance", responses=READ)
def read_budget_variance(
    session: SessionDep,
    actor: CurrentActor,
    version: Version = None,
    family: str | None = None,
    start: Start = None,
    end: End = None,
    limit: Limit = 100,
    offset: Offset = 0,
) -> VariancePage:
    """Plan against budget per family and month: the variance in revenue and margin, and its
    volume, mix, price and cost effects."""
    from oneplan.services.finance.reading import budget_variance

    return budget_variance(
        session,
        actor,
        version_id=version,
        family=family,
        start=start,
        end=end,
        limit=limit,
        offset=offset,
    )


@router.get("/bridges/{measure}", responses=READ)
def read_money_bridge(
    measure: BridgeMeasure, session: SessionDep, actor: CurrentActor, version: Version = None
) -> MoneyBridge:
    """The waterfall from budget to plan (revenue or margin): volume, mix, price, and
    cost for the margin; with the running total after each step."""
    from oneplan.services.finance.reading import money_bridge

    return money_bridge(session, actor, measure=measure.value, version_id=version)


@router.get("/issues", responses=READ)
def read_ranked_issues(
    session: SessionDep,
    actor: CurrentActor,
    version: Version = None,
    detail: Annotated[bool, Query(description="Also the issue rows behind each decision.")] = (
        False
    ),
    limit: Limit = 20,
    offset: Offset = 0,
) -> DecisionPage:
    """The decisions asked of the pre-S&OP meeting, each sized in money, largest first."""
    from oneplan.services.finance.reading import ranked_decisions

    return ranked_decisions(
        session, actor, version_id=version, detail=detail, limit=limit, offset=offset
    )
