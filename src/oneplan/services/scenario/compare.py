"""Compare scenarios: headline figures side by side with the base plan, and what changed.

Revenue and margin come from the finance frames a scenario run stores (``lines``); the base
plan is valued the same way when it is compared. Runs stored before scenarios carried finance
fall back to ``revenue at price`` (served units times the price in force).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import pandas as pd
from sqlalchemy.orm import Session

from oneplan.engines.diff import FrameDiff, diff_frames
from oneplan.engines.kpi import plan_kpis
from oneplan.engines.pipeline.finance import finance_frames
from oneplan.errors import NotFound
from oneplan.services.actor import Actor
from oneplan.services.data.service import read_tables
from oneplan.services.finance.service import FINANCE_TABLES
from oneplan.services.scenario.service import get_scenario, scenario_runs
from oneplan.services.versions.store import get_version, load_frames

KEYS = ["item", "location", "period"]


@dataclass(frozen=True)
class Comparison:
    """KPIs side by side (one row per KPI, a column for the base and each scenario) and, per
    scenario, the record-level diff of its supply plan against the base supply plan."""

    kpis: pd.DataFrame
    diffs: dict[str, FrameDiff]
    versions: dict[str, int]


def compare_scenarios(session: Session, actor: Actor, names: Iterable[str]) -> Comparison:
    """The newest base supply version against each scenario's newest run.

    The base is valued by the finance engine on the fly (from the demand plan it served) when
    its demand plan is stored, so its revenue and margin read like the scenarios'.
    """
    wanted = ["supply_plan", "cost_breakdown", "capacity_plan"]
    columns: dict[str, dict[str, Any]] = {}
    diffs: dict[str, FrameDiff] = {}
    base = get_version(session, kind="supply")
    base_frames = load_frames(session, base.id, [*wanted, "workforce_plan"])
    tables = read_tables(session, FINANCE_TABLES)
    demand_id = (base.summary or {}).get("demand_version")
    if demand_id is not None and len(base_frames["supply_plan"]):
        consensus = load_frames(session, int(demand_id), ["consensus"]).get("consensus")
        if consensus is not None:
            valued = finance_frames(tables, consensus, base_frames)
            base_frames["lines"] = valued["lines"]
    columns["base"] = plan_kpis(base_frames, base.summary, tables["prices"])
    versions = {"base": base.id}
    for name in names:
        runs = scenario_runs(session, get_scenario(session, name))
        if not runs:
            raise NotFound(f"scenario {name!r} has not been run yet: run it first")
        frames = load_frames(session, runs[0].id, [*wanted, "prices", "lines"])
        columns[name] = plan_kpis(frames, runs[0].summary, frames["prices"])
        versions[name] = runs[0].id
        diffs[name] = diff_frames(
            base_frames["supply_plan"], frames["supply_plan"], KEYS, "supply_plan"
        )
    kpis = pd.DataFrame(columns)
    kpis.index.name = "kpi"
    return Comparison(kpis, diffs, versions)
