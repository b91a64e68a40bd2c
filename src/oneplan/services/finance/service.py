"""The finance step (pre-S&OP): the cycle's plan in money, against the budget.

Reads the master data, prices, costs and budgets, the newest demand plan's consensus and the
supply plan that counts: the cycle's released plan (the base plan released, or a scenario
adopted as the plan) when there is one, else the newest base supply plan.
`oneplan.engines.pipeline.finance` turns them into revenue, cost of goods, margin, working
capital and cash per item x location x month, rolls them up, extends them to three years,
compares them with the budget and ranks the issues to decide. One immutable plan version of
kind ``finance`` is stored. Formulas: docs/financial-plan.md; what is stored and shown:
docs/finance-step.md.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.orm import Session

from oneplan import __version__
from oneplan.db.plans import PlanVersion
from oneplan.engines.frames import parameters
from oneplan.engines.pipeline.finance import SUPPLY_FRAMES, finance_frames, finance_headline
from oneplan.errors import NotFound
from oneplan.services.actor import Actor
from oneplan.services.data.service import read_tables
from oneplan.services.phases import PhasedRun
from oneplan.services.versions.lifecycle import SUPPLY_PLANS
from oneplan.services.versions.schemas import VersionInfo
from oneplan.services.versions.store import (
    content_hash,
    get_version,
    load_frames,
    newest_version,
    require_store,
    store_version,
)

KIND = "finance"
#: The package tables the financial plan reads.
FINANCE_TABLES = [
    "parameters",
    "items",
    "families",
    "item_costs",
    "prices",
    "budgets",
    "resources",
    "sales_history",  # the rebates it realised value the plan net
]


@dataclass(frozen=True)
class FinanceResult:
    """One finance run: the frames stored, the summary and seconds per phase."""

    version_id: int
    cycle: str
    frames: dict[str, pd.DataFrame]
    summary: dict[str, Any]
    seconds: dict[str, float] = field(default_factory=dict)
    reused: bool = False
    """True when an identical run's version was reused instead of storing a copy."""


@dataclass(frozen=True)
class FinanceInputs:
    """What the finance step reads: the tables and the newest demand and supply plans."""

    tables: dict[str, pd.DataFrame]
    consensus: pd.DataFrame
    supply: dict[str, pd.DataFrame]
    cycle: str
    demand_id: int
    supply_id: int
    supply_summary: dict[str, Any]
    seconds: dict[str, float]
    valued_plan: str = ""
    """Which supply plan is valued and why, in words (``finance show`` and the cycle say it)."""


@dataclass(frozen=True)
class FinancePlanned:
    inputs: FinanceInputs
    frames: dict[str, pd.DataFrame]
    summary: dict[str, Any]
    seconds: dict[str, float]


def _newest(session: Session, kind: str, frame: str | None, step: str) -> PlanVersion:
    version = newest_version(session, kind, with_frame=frame)
    if version is None:
        raise NotFound(
            f"there is no {kind} plan to value: no {kind} plan version is stored "
            f"(run the {step} step first)"
        )
    return version


def plan_that_counts(session: Session, cycle: str) -> tuple[PlanVersion, str]:
    """The supply plan to value for ``cycle`` and why, in words.

    The cycle's released supply plan (the base plan released, or a scenario adopted as the
    plan: a cycle has at most one) when there is one; else the newest base supply plan.
    NotFound when no supply plan is stored.
    """
    released = session.scalars(
        sa.select(PlanVersion)
        .where(
            PlanVersion.kind.in_(SUPPLY_PLANS),
            PlanVersion.state == "released",
            PlanVersion.cycle == cycle,
        )
        .order_by(PlanVersion.id.desc())
        .limit(1)
    ).first()
    if released is not None:
        if released.kind == "scenario":
            return released, (
                f"scenario {released.name!r} (version {released.id}), adopted as the plan of "
                f"{cycle}"
            )
        return released, f"base supply plan (version {released.id}), released for {cycle}"
    newest = _newest(session, "supply", None, "supply")
    return newest, (
        f"base supply plan (version {newest.id}), the newest: no plan is released for {cycle}"
    )


def load_finance_inputs(session: Session) -> FinanceInputs:
    """The tables, the newest demand plan and the supply plan that counts
    (`plan_that_counts`); NotFound naming the step to run.

    An adopted scenario is valued on what it planned: its own demand, and its prices and
    standard costs where its assumptions changed them (the frames its run stored)."""
    clock = time.perf_counter()
    tables = read_tables(session, FINANCE_TABLES)
    demand = _newest(session, "demand", "consensus", "demand")
    supply, valued_plan = plan_that_counts(session, demand.cycle)
    consensus = load_frames(session, demand.id, ["consensus"])["consensus"]
    supply_frames = load_frames(session, supply.id, list(SUPPLY_FRAMES))
    if supply.kind == "scenario":
        own = load_frames(session, supply.id, ["demand", "prices", "item_costs"])
        consensus = own.get("demand", consensus)
        tables = {**tables, **{k: own[k] for k in ("prices", "item_costs") if k in own}}
    return FinanceInputs(
        tables,
        consensus,
        supply_frames,
        demand.cycle,
        demand.id,
        supply.id,
        dict(supply.summary or {}),
        {"read tables and plans": time.perf_counter() - clock},
        valued_plan,
    )


def compute_finance(inputs: FinanceInputs) -> FinancePlanned:
    """Value the plans: every frame of the finance version and its summary."""
    clock = time.perf_counter()
    frames = finance_frames(inputs.tables, inputs.consensus, inputs.supply)
    currency = parameters(inputs.tables.get("parameters")).get("currency") or ""
    summary = {
        **finance_headline(frames, currency),
        "demand_version": inputs.demand_id,
        "supply_version": inputs.supply_id,
        "supply_demand_version": inputs.supply_summary.get("demand_version"),
        "valued_plan": inputs.valued_plan,
    }
    seconds = {
        **inputs.seconds,
        "financial plan, roll-ups and variance": time.perf_counter() - clock,
    }
    return FinancePlanned(inputs, frames, summary, seconds)


def store_finance(session: Session, actor: Actor, planned: FinancePlanned) -> FinanceResult:
    """Store the financial plan as a new ``finance`` version, or reuse the version an
    identical run stored (`oneplan.services.versions.store.store_version`)."""
    clock = time.perf_counter()
    inputs = planned.inputs
    run_settings = {
        "demand_version": inputs.demand_id,
        "supply_version": inputs.supply_id,
        "oneplan": __version__,
    }
    hashed = {**inputs.tables, "consensus": inputs.consensus, **inputs.supply}
    stored = store_version(
        session,
        actor,
        cycle=inputs.cycle,
        kind=KIND,
        name=f"Financial plan {inputs.cycle}",
        frames=planned.frames,
        settings=run_settings,
        summary=planned.summary,
        input_hash=content_hash(hashed, {"oneplan": __version__}),  # content, not ids
    )
    seconds = {**planned.seconds, "store version": time.perf_counter() - clock}
    version = stored.version
    summary = dict(version.summary) if stored.reused else planned.summary
    return FinanceResult(
        version.id, inputs.cycle, planned.frames, summary, seconds, reused=stored.reused
    )


def finance_run(actor: Actor) -> PhasedRun[FinanceInputs, FinancePlanned, FinanceResult]:
    """The finance step in three phases; NotFound when no demand or no supply plan is stored."""
    require_store(actor, KIND)
    return PhasedRun(
        load=load_finance_inputs,
        compute=compute_finance,
        store=lambda session, planned: store_finance(session, actor, planned),
    )


def finance_version(
    session: Session, actor: Actor, version_id: int | None = None, names: list[str] | None = None
) -> tuple[VersionInfo, dict[str, pd.DataFrame]]:
    """A stored finance version (the newest when no id is given) and its frames."""
    version = get_version(session, version_id, KIND)
    return VersionInfo.model_validate(version), load_frames(session, version.id, names)
