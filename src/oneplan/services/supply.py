"""The supply step: plan production against capacity and keep the run as a plan version.

Reads the package tables (from the database, or from a data package for a standalone run),
resolves the demand the plan serves, computes safety stocks with the inventory engine, solves
the constrained and the unconstrained plan with the supply engine, projects inventory and
days of supply, and stores one immutable plan version of kind ``supply``.
"""

from __future__ import annotations

import dataclasses
import math
import time
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import sqlalchemy as sa
from sqlalchemy.orm import Session

from oneplan import __version__
from oneplan.config import Settings, get_settings
from oneplan.datapack import check_package, package_schema
from oneplan.db.plans import PlanFrame, PlanVersion
from oneplan.db.session import unit_of_work
from oneplan.engines.inventory import project_inventory, safety_stock
from oneplan.engines.supply import (
    SupplyPlan,
    SupplyProblem,
    capacity_gap,
    problem_from_tables,
    solve_supply,
)
from oneplan.engines.supply.build import Objective
from oneplan.errors import NotFound, Problem, ValidationFailed
from oneplan.services.exports import read_tables
from oneplan.services.plans import content_hash, get_version, load_frames, save_version

KIND = "supply"
KEYS = ["item", "location", "period"]
#: The package tables a supply plan reads.
PLAN_TABLES = [
    "parameters",
    "items",
    "inventory",
    "customer_orders",
    "resources",
    "resource_capacity",
    "routings",
    "lanes",
    "workforce",
    "item_costs",
    "prices",
    "inventory_policies",
    "demand",
]
#: Every frame a supply plan version stores, in the order people read them.
FRAME_NAMES = (
    "supply_plan",
    "transfers",
    "workforce_plan",
    "capacity_plan",
    "binding_constraints",
    "unmet_demand",
    "marginal_cost",
    "relaxations",
    "cost_breakdown",
    "safety_stock",
    "projected_inventory",
    "capacity_gap",
)


@dataclass(frozen=True)
class SupplyOptions:
    """How to plan: least cost or most margin, item or family level, whole workers or not."""

    objective: Objective = "cost"
    level: str = "item"
    integer_workforce: bool = False
    time_limit: float | None = None


@dataclass(frozen=True)
class DemandSource:
    """The demand a plan serves (``item, location, period, quantity``) and where it came from;
    ``errors`` are the demand plan's backtest errors, when it has them."""

    demand: pd.DataFrame
    label: str
    version_id: int | None = None
    errors: pd.DataFrame | None = None


@dataclass(frozen=True)
class SupplyResult:
    """One supply run: both plans, the frames stored, the summary and seconds per phase."""

    plan: SupplyPlan
    unconstrained: SupplyPlan
    frames: dict[str, pd.DataFrame]
    summary: dict[str, Any]
    seconds: dict[str, float] = field(default_factory=dict)
    version_id: int | None = None


def resolve_demand(session: Session, tables: dict[str, pd.DataFrame]) -> DemandSource:
    """The newest demand plan version's consensus; else the ``demand`` table; else NotFound."""
    newest = session.scalars(
        sa.select(PlanVersion.id)
        .join(PlanFrame, PlanFrame.version_id == PlanVersion.id)
        .where(
            PlanVersion.kind == "demand",
            PlanVersion.state != "superseded",  # a withdrawn plan is not planned against
            PlanFrame.name == "consensus",
        )
        .order_by(PlanVersion.id.desc())
        .limit(1)
    ).first()
    if newest is not None:
        frames = load_frames(session, newest, ["consensus", "backtest"])
        consensus = frames["consensus"]
        missing = [c for c in ["item", "location", "period", "quantity"] if c not in consensus]
        if missing:
            where = f"demand plan version {newest}, frame consensus"
            raise ValidationFailed([Problem(where, None, c, "is missing") for c in missing])
        errors = frames.get("backtest")
        if errors is not None and {"y", "forecast", "error"} <= set(errors.columns):
            # the inventory engine takes error = actual - forecast; let it derive its own
            errors = errors.drop(columns="error")
        return DemandSource(
            consensus[["item", "location", "period", "quantity"]],
            f"demand plan version {newest}",
            newest,
            errors if errors is not None and len(errors) else None,
        )
    table = tables.get("demand")
    if table is not None and len(table):
        return DemandSource(table, "demand table")
    raise NotFound(
        "there is no demand to plan for: no demand plan version is stored (run the demand "
        "step) and the demand table is empty (import a package with a demand table)"
    )


def _with_safety_stock(problem: SupplyProblem, stock: pd.DataFrame) -> SupplyProblem:
    """The problem with the inventory engine's safety stock per node and month."""
    grid = np.array(problem.safety_stock, dtype=float, copy=True)
    if len(stock):
        nodes = pd.MultiIndex.from_arrays([problem.node_item, problem.node_location])
        rows = nodes.get_indexer(pd.MultiIndex.from_frame(stock[["item", "location"]]))
        cols = problem.periods.get_indexer(pd.DatetimeIndex(stock["period"]))
        ok = (rows >= 0) & (cols >= 0)
        grid[rows[ok], cols[ok]] = stock["safety_stock"].fillna(0.0).to_numpy(float)[ok]
    return dataclasses.replace(problem, safety_stock=grid)


def _projection(plan: pd.DataFrame, policies: pd.DataFrame | None) -> pd.DataFrame:
    """Projected on hand and days of supply from the plan's receipts and served demand.

    Receipts are production + subcontracting + arrivals - departures; demand excludes lost
    sales; the opening position (stock minus opening backlog) is read back from month one.
    """
    flow = plan["production"] + plan["subcontract"] + plan["arrivals"] - plan["departures"]
    served = plan["demand"] - plan["lost_sales"]
    keys = plan[KEYS]
    first = plan["period"] == plan["period"].min()
    opening = (plan["end_inventory"] - plan["backlog"] - flow + served)[first]
    start = plan.loc[first, ["item", "location"]].assign(on_hand=opening)
    limits = None if policies is None else policies[["item", "location", "max_inventory"]]
    return project_inventory(
        start,
        keys.assign(quantity=flow),
        keys.assign(quantity=served),
        plan[[*KEYS, "safety_stock"]],
        periods=plan["period"],
        policies=limits,
    )


def on_time_share(plan: pd.DataFrame) -> float:
    """Share of demand served in its own month (first in, first out).

    Of a month's demand, the part still owed at month end (at most the backlog) and the lost
    sales are late.

    >>> on_time_share(pd.DataFrame({"demand": [10.0, 10.0],
    ...     "backlog": [4.0, 0.0], "lost_sales": [0.0, 1.0]}))
    0.75
    """
    served = (plan["demand"] - plan["lost_sales"]).clip(lower=0)
    late = plan["lost_sales"] + np.minimum(plan["backlog"], served)
    total = float(plan["demand"].sum())
    return 1.0 if total <= 0 else float(1.0 - late.sum() / total)


def _number(value: Any) -> float | None:
    number = float(value)
    return number if math.isfinite(number) else None


def _bottleneck(plan: SupplyPlan) -> dict[str, Any] | None:
    """The capacity row with the highest shadow price; else the busiest resource-month.

    Prices set by the relaxation penalty (column ``degenerate``) are not the value of an hour,
    so they never make a resource the top bottleneck; a broken limit shows in the relaxations.
    """
    util = plan.utilisation
    if not len(util):
        return None
    prices = pd.to_numeric(util["shadow_price"], errors="coerce").fillna(0.0).to_numpy(float)
    busy = pd.to_numeric(util["utilisation"], errors="coerce").fillna(0.0).to_numpy(float)
    if "degenerate" in util:
        real = ~util["degenerate"].fillna(False).to_numpy(bool)
        prices, busy = np.where(real, prices, 0.0), np.where(real, busy, 0.0)
    at = int(np.argmax(prices)) if prices.max() > 0 else int(np.argmax(busy))
    return {
        "resource": str(util["resource"].iloc[at]),
        "kind": str(util["kind"].iloc[at]),
        "period": pd.Timestamp(util["period"].iloc[at]).strftime("%Y-%m"),
        "utilisation": _number(busy[at]),
        "shadow_price": _number(prices[at]),
    }


#: Cost terms that price a broken rule, not money anybody pays.
PENALTY_TERMS = ("safety_stock_shortfall", "relaxation_penalty")


def _summary(result: SupplyPlan, free: SupplyPlan, source: DemandSource) -> dict[str, Any]:
    plan = result.plan
    unmet = plan["backlog"].sum() + plan["lost_sales"].sum() if len(plan) else 0.0
    terms = result.cost_breakdown
    penalties = terms.loc[terms["term"].isin(PENALTY_TERMS), "value"].sum() if len(terms) else 0.0
    return {
        "status": result.status,
        "objective": result.objective,
        "objective_value": _number(result.objective_value),
        "total_cost": _number(result.total_cost),
        "unconstrained_total_cost": _number(free.total_cost),
        "penalty_cost": _number(penalties),
        "currency": result.currency,
        "service_level": _number(on_time_share(plan)) if result.has_plan else None,
        "unmet_units": _number(unmet),
        "relaxations": len(result.relaxations),
        "top_bottleneck": _bottleneck(result),
        "demand_source": source.label,
        "demand_version": source.version_id,
    }


def plan_supply(
    tables: dict[str, pd.DataFrame], source: DemandSource, options: SupplyOptions
) -> SupplyResult:
    """Safety stock, constrained and unconstrained plans, projection, frames and summary.

    A table the engines cannot use raises ``ValidationFailed`` naming it (nothing is stored).
    """
    return _plan_supply(tables, source, options)


def _plan_supply(
    tables: dict[str, pd.DataFrame], source: DemandSource, options: SupplyOptions
) -> SupplyResult:
    seconds: dict[str, float] = {}
    clock = time.perf_counter()
    tables = {**tables, "demand": source.demand}
    problem = problem_from_tables(tables)
    policies = tables.get("inventory_policies")
    stock = pd.DataFrame(columns=[*KEYS, "safety_stock"])
    if policies is not None and len(policies):
        stock = safety_stock(
            policies,
            source.errors,
            source.demand,
            periods=problem.periods,
            items=tables.get("items"),
        )
    problem = _with_safety_stock(problem, stock)
    seconds["safety stock and build inputs"] = time.perf_counter() - clock
    level: Any = options.level
    plan, free = (
        solve_supply(
            problem,
            objective=options.objective,
            level=level,
            integer_workforce=options.integer_workforce,
            time_limit=options.time_limit,
            unconstrained=unconstrained,
        )
        for unconstrained in (False, True)
    )
    seconds["solve both plans"] = time.perf_counter() - clock - sum(seconds.values())
    frames = {
        "supply_plan": plan.plan,
        "transfers": plan.transfers,
        "workforce_plan": plan.workforce,
        "capacity_plan": plan.utilisation,
        "binding_constraints": plan.binding_constraints,
        "unmet_demand": plan.unmet_demand,
        "marginal_cost": plan.marginal_cost,
        "relaxations": plan.relaxations,
        "cost_breakdown": plan.cost_breakdown,
        "safety_stock": stock,
        "projected_inventory": _projection(plan.plan.fillna(0.0), policies)
        if plan.has_plan
        else pd.DataFrame(columns=KEYS),
        "capacity_gap": capacity_gap(plan, free)
        if plan.has_plan and free.has_plan
        else pd.DataFrame(columns=KEYS),
    }
    summary = _summary(plan, free, source)
    seconds["explain and project"] = time.perf_counter() - clock - sum(seconds.values())
    return SupplyResult(plan, free, frames, summary, seconds)


def load_plan_tables(session: Session) -> dict[str, pd.DataFrame]:
    """The package tables a supply plan reads, typed, from the database."""
    return read_tables(session.connection(), package_schema(), PLAN_TABLES)


def run_supply(
    engine: sa.Engine, *, settings: Settings | None = None, options: SupplyOptions | None = None
) -> SupplyResult:
    """The cycle's supply step: read, plan, store a ``supply`` version.

    The inputs are read in one read-only unit of work and the version is stored in one short
    write unit of work (all or nothing); the solve runs between them, outside any
    transaction, so other writers are not kept waiting while HiGHS works.
    """
    settings = settings or get_settings()
    options = options or SupplyOptions()
    clock = time.perf_counter()
    with unit_of_work(engine, write=False) as session:
        tables = load_plan_tables(session)
        source = resolve_demand(session, tables)
    read_seconds = time.perf_counter() - clock
    result = plan_supply(tables, source, options)
    clock = time.perf_counter()
    run_settings = {
        **dataclasses.asdict(options),
        "demand_source": source.label,
        "demand_version": source.version_id,
        "oneplan": __version__,
        "highspy": metadata.version("highspy"),
    }
    inputs = {**tables, "demand": source.demand}
    if source.errors is not None:
        inputs["backtest"] = source.errors
    # The hash is of content: which stored version the demand came from is kept in the settings
    # for the record, but equal demand gives an equal hash whatever its version number.
    identity = {"demand_source", "demand_version"}
    input_hash = content_hash(inputs, {k: v for k, v in run_settings.items() if k not in identity})
    first = result.plan.plan["period"].min() if len(result.plan.plan) else None
    cycle = pd.Timestamp(first).strftime("%Y-%m") if first is not None else "-"
    with unit_of_work(engine, write=True) as session:
        version = save_version(
            session,
            cycle=cycle,
            kind=KIND,
            name=f"Supply plan {cycle} ({options.objective}, {options.level} level)",
            frames=result.frames,
            settings=run_settings,
            summary=result.summary,
            input_hash=input_hash,
            user=settings.user,
        )
        version_id = version.id
    seconds = {"read tables and demand": read_seconds, **result.seconds}
    seconds["store version"] = time.perf_counter() - clock
    return dataclasses.replace(result, seconds=seconds, version_id=version_id)


def solve_package(
    path: Path, *, settings: Settings | None = None, options: SupplyOptions | None = None
) -> SupplyResult:
    """A standalone run on a data package (folder or xlsx), with no database.

    The package must carry a non-empty ``demand`` table: it is the demand the plan serves.
    """
    from oneplan.services.imports import read_path

    settings = settings or get_settings()
    schema = package_schema()
    tables = check_package(read_path(path, schema, settings), schema)
    demand = tables.get("demand")
    if demand is None or not len(demand):
        state = "is missing" if demand is None else "is empty"
        message = f"{state}; a standalone supply plan needs demand per item, location and period"
        raise ValidationFailed([Problem(f"{path.name}: table demand", None, None, message)])
    return plan_supply(tables, DemandSource(demand, "demand table"), options or SupplyOptions())


def supply_version(
    session: Session, version_id: int | None = None, names: list[str] | None = None
) -> tuple[PlanVersion, dict[str, pd.DataFrame]]:
    """A stored supply version (the newest when no id is given) and its frames."""
    version = get_version(session, version_id, KIND)
    return version, load_frames(session, version.id, names)


def step_summary(result: SupplyResult) -> list[tuple[str, str]]:
    """What the cycle table shows for the supply step."""
    s = result.summary
    cost = s["total_cost"]
    lines = [
        ("version", f"#{result.version_id}"),
        ("status", str(s["status"])),
        ("total cost", "-" if cost is None else f"{cost:,.0f} {s['currency']}".strip()),
    ]
    if s.get("penalty_cost"):
        lines.append(("of which penalties", f"{s['penalty_cost']:,.0f} {s['currency']}".strip()))
    if s["service_level"] is not None:
        lines.append(("on time", f"{s['service_level']:.1%}"))
    if s["top_bottleneck"]:
        neck = s["top_bottleneck"]
        lines.append(("bottleneck", f"{neck['resource']} {neck['period']}"))
    if s["relaxations"]:
        lines.append(("relaxations", str(s["relaxations"])))
    return lines
