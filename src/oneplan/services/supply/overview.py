"""One stored supply plan as the supply page shows it: the plan against demand by month, the
capacity grid, the binding limits in words, unmet demand with its cause and the workforce.

The page's default is the newest supply plan of the open cycle (the newest of any cycle when
the open one has none yet); a version id picks any stored supply plan.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
from sqlalchemy.orm import Session

from oneplan.engines.supply.overview import (
    binding_in_words,
    monthly_balance,
    strongest_limits,
    utilisation_grid,
)
from oneplan.services.actor import Actor
from oneplan.services.permissions import Permission, require_some
from oneplan.services.supply.service import KIND
from oneplan.services.versions.current import chosen_version, versions_of_cycle
from oneplan.services.versions.schemas import VersionInfo
from oneplan.services.versions.store import load_frames

#: The stored frames the overview reads.
FRAMES = [
    "supply_plan",
    "capacity_plan",
    "binding_constraints",
    "unmet_demand",
    "workforce_plan",
    "relaxations",
    "cost_breakdown",
]
#: Limits the overview words in their dearest month.
STRONGEST_SHOWN = 12


@dataclass(frozen=True)
class SupplyOverview:
    """A supply plan on one screen. ``plans`` are the supply plans of its cycle, newest first
    (what a planner may switch to); ``binding`` carries ``words`` per binding row,
    ``strongest`` one row per limit in its dearest month (`strongest_limits`), with words."""

    version: VersionInfo
    plans: list[VersionInfo]
    balance: pd.DataFrame
    utilisation: pd.DataFrame
    binding: pd.DataFrame
    strongest: pd.DataFrame
    unmet: pd.DataFrame
    workforce: pd.DataFrame
    relaxations: pd.DataFrame
    costs: pd.DataFrame

    @property
    def currency(self) -> str:
        return str(self.version.summary.get("currency") or "")


def supply_overview(
    session: Session, actor: Actor, version_id: int | None = None
) -> SupplyOverview:
    """The supply plan ``version_id`` (default: the newest of the open cycle) on one screen;
    NotFound when there is none, naming what exists instead."""
    require_some(actor, Permission.read)
    version = chosen_version(session, KIND, version_id)
    frames = load_frames(session, version.id, FRAMES)
    empty = pd.DataFrame()
    capacity = frames.get("capacity_plan", empty)
    kinds = (
        capacity.drop_duplicates("resource").set_index("resource")["kind"]
        if len(capacity)
        else pd.Series(dtype=object)
    )
    currency = str((version.summary or {}).get("currency") or "")
    binding = frames.get("binding_constraints", empty)
    return SupplyOverview(
        version=VersionInfo.model_validate(version),
        plans=versions_of_cycle(session, KIND, version.cycle),
        balance=monthly_balance(frames.get("supply_plan", empty)),
        utilisation=utilisation_grid(capacity),
        binding=binding_in_words(binding, kinds, currency) if len(binding) else binding,
        strongest=binding_in_words(strongest_limits(binding), kinds, currency, STRONGEST_SHOWN)
        if len(binding)
        else binding,
        unmet=frames.get("unmet_demand", empty),
        workforce=frames.get("workforce_plan", empty),
        relaxations=frames.get("relaxations", empty),
        costs=frames.get("cost_breakdown", empty),
    )
