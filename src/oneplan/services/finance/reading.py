"""Reading a stored financial plan within the reader's scope: the plan by month, quarter or
year, the variance to budget, the revenue and margin bridges, and the ranked decisions.

A family's money is summed over every location, so it is about that family and no one
location: a grant limited to the family reads it, one limited to a plant does not. The company
total, its cash and the bridges sum every family and plant: only a grant without scope reads
them. A decision is shown when every issue behind it is within the reader's scope (an issue is
about its family, or its resource's location).
"""

from __future__ import annotations

from typing import Any

import pandas as pd
from sqlalchemy.orm import Session

from oneplan.services.actor import Actor
from oneplan.services.data.service import read_tables
from oneplan.services.finance.schemas import (
    BridgeMeasure,
    BridgeStep,
    Decision,
    DecisionPage,
    FinancePlanPage,
    FinancePlanRow,
    IssueRow,
    MoneyBridge,
    VariancePage,
    VarianceRow,
)
from oneplan.services.finance.service import finance_version
from oneplan.services.paging import in_months, page_records
from oneplan.services.scope import (
    readable,
    reads_everything,
    require_whole_read,
    resource_locations,
)


def _currency(summary: dict[str, Any] | None) -> str:
    return str((summary or {}).get("currency") or "")


def financial_plan(
    session: Session,
    actor: Actor,
    *,
    version_id: int | None = None,
    grain: str = "month",
    level: str = "total",
    family: str | None = None,
    start: str | None = None,
    end: str | None = None,
    limit: int = 100,
    offset: int = 0,
) -> FinancePlanPage:
    """Revenue, COGS, margin, working capital (and, for the company, costs and cash) per
    period of ``grain``, for the company or per family (``family``: that one alone)."""
    if level == "total":
        require_whole_read(actor)
    name = "rollup_total" if level == "total" else "rollup_family"
    version, frames = finance_version(session, actor, version_id, [name])
    rows = frames[name]
    rows = rows[rows["grain"] == grain]
    order = ["period"]
    if level != "total":
        rows = rows[readable(actor, rows["family"], None)]
        if family is not None:
            rows = rows[rows["family"] == family]
        order = ["family", "period"]
    rows = in_months(rows, start, end).sort_values(order, ignore_index=True)
    return FinancePlanPage(
        version_id=version.id,
        currency=_currency(version.summary),
        items=[FinancePlanRow.model_validate(r) for r in page_records(rows, limit, offset)],
        total=len(rows),
        limit=limit,
        offset=offset,
    )


def budget_variance(
    session: Session,
    actor: Actor,
    *,
    version_id: int | None = None,
    family: str | None = None,
    start: str | None = None,
    end: str | None = None,
    limit: int = 100,
    offset: int = 0,
) -> VariancePage:
    """Plan against budget per family and month, with the volume, mix, price (and cost)
    effects, of the families in the reader's scope."""
    version, frames = finance_version(session, actor, version_id, ["budget_variance"])
    rows = frames["budget_variance"]
    rows = rows[readable(actor, rows["family"], None)]
    if family is not None:
        rows = rows[rows["family"] == family]
    rows = in_months(rows, start, end).sort_values(["family", "period"], ignore_index=True)
    return VariancePage(
        version_id=version.id,
        currency=_currency(version.summary),
        items=[VarianceRow.model_validate(r) for r in page_records(rows, limit, offset)],
        total=len(rows),
        limit=limit,
        offset=offset,
    )


def money_bridge(
    session: Session, actor: Actor, *, measure: str = "revenue", version_id: int | None = None
) -> MoneyBridge:
    """The waterfall from the budget to the plan of the whole company: volume, mix, price
    (and cost, for the margin)."""
    require_whole_read(actor)
    name = f"{measure}_bridge"
    version, frames = finance_version(session, actor, version_id, [name])
    steps = [BridgeStep.model_validate(r) for r in page_records(frames[name], len(frames[name]), 0)]
    summary = version.summary or {}
    return MoneyBridge(
        version_id=version.id,
        measure=BridgeMeasure(measure),
        currency=_currency(summary),
        budget_months=summary.get("budget_months"),
        steps=steps,
    )


def ranked_decisions(
    session: Session,
    actor: Actor,
    *,
    version_id: int | None = None,
    detail: bool = False,
    limit: int = 20,
    offset: int = 0,
) -> DecisionPage:
    """The decisions asked of the pre-S&OP meeting, largest in money first, those whose every
    issue is within the reader's scope; with ``detail``, the issues behind each."""
    version, frames = finance_version(session, actor, version_id, ["issues", "issue_detail"])
    decisions, issues = frames["issues"], frames["issue_detail"]
    resources = read_tables(session, ["resources"])["resources"]
    places = resource_locations(resources, issues["resource"])
    shown = pd.Series(readable(actor, issues["family"], places), index=issues.index)
    whole = shown.groupby(issues["decision_rank"]).all()
    # a decision with no issue rows behind it is about the whole company
    everything = reads_everything(actor)
    kept = [bool(whole.get(rank, everything)) for rank in decisions["rank"]]
    decisions = decisions[kept]
    decisions = decisions.sort_values("rank", ignore_index=True)
    items = []
    for record in page_records(decisions, limit, offset):
        behind = issues[issues["decision_rank"] == record["rank"]] if detail else issues.iloc[:0]
        rows = [IssueRow.model_validate(r) for r in page_records(behind, len(behind), 0)]
        items.append(Decision.model_validate({**record, "issues": rows}))
    return DecisionPage(
        version_id=version.id,
        currency=_currency(version.summary),
        items=items,
        total=len(decisions),
        limit=limit,
        offset=offset,
    )
