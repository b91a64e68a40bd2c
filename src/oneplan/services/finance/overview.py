"""One stored financial plan as the finance page shows it: the plan by month, quarter and
year, the three-year view, the budget variance and the revenue and margin bridges.

The page's default is the newest financial plan of the open cycle (the newest of any cycle
when the open one has none yet); a version id picks any stored financial plan.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
from sqlalchemy.orm import Session

from oneplan.engines.finance.overview import three_year_view, variance_by_month
from oneplan.services.actor import Actor
from oneplan.services.finance.service import KIND
from oneplan.services.permissions import Permission, require_some
from oneplan.services.versions.current import chosen_version, versions_of_cycle
from oneplan.services.versions.schemas import VersionInfo
from oneplan.services.versions.store import load_frames

FRAMES = ["rollup_total", "long_range", "budget_variance", "revenue_bridge", "margin_bridge"]


@dataclass(frozen=True)
class FinanceOverview:
    """A financial plan on one screen: ``totals`` (the company by month, quarter and year,
    column ``grain``), ``three_years`` (quarters and years with their ``basis``),
    ``variance`` (the budget variance per month) and the two bridges (``step, value,
    cumulative``, budget first and plan last)."""

    version: VersionInfo
    plans: list[VersionInfo]
    totals: pd.DataFrame
    three_years: pd.DataFrame
    variance: pd.DataFrame
    revenue_bridge: pd.DataFrame
    margin_bridge: pd.DataFrame

    @property
    def currency(self) -> str:
        return str(self.version.summary.get("currency") or "")


def finance_overview(
    session: Session, actor: Actor, version_id: int | None = None
) -> FinanceOverview:
    """The financial plan ``version_id`` (default: the newest of the open cycle) on one
    screen; NotFound when there is none."""
    require_some(actor, Permission.read)
    version = chosen_version(session, KIND, version_id)
    frames = load_frames(session, version.id, FRAMES)
    empty = pd.DataFrame(columns=["step", "value", "cumulative"])
    return FinanceOverview(
        version=VersionInfo.model_validate(version),
        plans=versions_of_cycle(session, KIND, version.cycle),
        totals=frames.get("rollup_total", pd.DataFrame()),
        three_years=three_year_view(frames.get("long_range", pd.DataFrame())),
        variance=variance_by_month(frames.get("budget_variance", pd.DataFrame())),
        revenue_bridge=frames.get("revenue_bridge", empty),
        margin_bridge=frames.get("margin_bridge", empty),
    )
