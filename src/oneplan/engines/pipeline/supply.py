"""The supply step's computation: safety stock, both plans, explanations and projection."""

from __future__ import annotations

import dataclasses
import time
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd

from oneplan.engines.finance import expected_rebates
from oneplan.engines.frames import finite_or_none
from oneplan.engines.inventory import project_inventory, safety_stock
from oneplan.engines.kpi import PENALTY_TERMS, on_time_share, top_bottleneck
from oneplan.engines.supply import (
    SupplyPlan,
    SupplyProblem,
    capacity_gap,
    problem_from_tables,
    solve_supply,
)

KEYS = ["item", "location", "period"]
#: What each objective optimises, in the words the summary and the front ends show.
OBJECTIVE_LABELS = {"cost": "least cost", "margin": "most margin"}
#: Every frame a supply plan run returns, in the order people read them.
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
class SupplyRun:
    """One supply computation: both plans, the frames to store, the summary, seconds per phase."""

    plan: SupplyPlan
    unconstrained: SupplyPlan
    frames: dict[str, pd.DataFrame]
    summary: dict[str, Any]
    seconds: dict[str, float] = field(default_factory=dict)


def with_safety_stock(problem: SupplyProblem, stock: pd.DataFrame) -> SupplyProblem:
    """The problem with the inventory engine's safety stock per node and month."""
    grid = np.array(problem.safety_stock, dtype=float, copy=True)
    if len(stock):
        nodes = pd.MultiIndex.from_arrays([problem.node_item, problem.node_location])
        rows = nodes.get_indexer(pd.MultiIndex.from_frame(stock[["item", "location"]]))
        cols = problem.periods.get_indexer(pd.DatetimeIndex(stock["period"]))
        ok = (rows >= 0) & (cols >= 0)
        grid[rows[ok], cols[ok]] = stock["safety_stock"].fillna(0.0).to_numpy(float)[ok]
    return dataclasses.replace(problem, safety_stock=grid)


def projection(plan: pd.DataFrame, policies: pd.DataFrame | None) -> pd.DataFrame:
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


def supply_summary(result: SupplyPlan, free: SupplyPlan) -> dict[str, Any]:
    """The headline figures of a supply run."""
    plan = result.plan
    unmet = plan["backlog"].sum() + plan["lost_sales"].sum() if len(plan) else 0.0
    terms = result.cost_breakdown
    penalties = terms.loc[terms["term"].isin(PENALTY_TERMS), "value"].sum() if len(terms) else 0.0
    return {
        "status": result.status,
        "objective": result.objective,
        "objective_label": OBJECTIVE_LABELS.get(result.objective, result.objective),
        "objective_value": finite_or_none(result.objective_value),
        "total_cost": finite_or_none(result.total_cost),
        "unconstrained_total_cost": finite_or_none(free.total_cost),
        "penalty_cost": finite_or_none(penalties),
        "currency": result.currency,
        "service_level": finite_or_none(on_time_share(plan)) if result.has_plan else None,
        "unmet_units": finite_or_none(unmet),
        "relaxations": len(result.relaxations),
        "top_bottleneck": top_bottleneck(result.utilisation),
    }


def plan_supply(
    tables: dict[str, pd.DataFrame],
    demand: pd.DataFrame,
    errors: pd.DataFrame | None = None,
    *,
    objective: Literal["cost", "margin"] = "cost",
    level: Literal["item", "family"] = "item",
    integer_workforce: bool = False,
    time_limit: float | None = None,
) -> SupplyRun:
    """Safety stock, the constrained and unconstrained plans, projection, frames and summary.

    ``demand`` [item, location, period, quantity] is what the plan serves; ``errors`` the
    demand plan's backtest errors the safety stocks learn from (None: policies that need them
    fall back as the inventory engine documents). A table the engines cannot use raises
    ``InputError`` naming it.
    """
    seconds: dict[str, float] = {}
    clock = time.perf_counter()
    tables = {**tables, "demand": demand}
    if (prices := tables.get("prices")) is not None and len(prices):
        # A sale is worth its net price: the list price less the rebate expected on it.
        rebated = expected_rebates(prices, tables.get("sales_history"), tables.get("items"))
        tables["prices"] = rebated.drop(columns="rebate_source")
    problem = problem_from_tables(tables)
    policies = tables.get("inventory_policies")
    stock = pd.DataFrame(columns=[*KEYS, "safety_stock"])
    if policies is not None and len(policies):
        stock = safety_stock(
            policies, errors, demand, periods=problem.periods, items=tables.get("items")
        )
    problem = with_safety_stock(problem, stock)
    seconds["safety stock and build inputs"] = time.perf_counter() - clock
    plan, free = (
        solve_supply(
            problem,
            objective=objective,
            level=level,
            integer_workforce=integer_workforce,
            time_limit=time_limit,
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
        "projected_inventory": projection(plan.plan.fillna(0.0), policies)
        if plan.has_plan
        else pd.DataFrame(columns=KEYS),
        "capacity_gap": capacity_gap(plan, free)
        if plan.has_plan and free.has_plan
        else pd.DataFrame(columns=KEYS),
    }
    summary = supply_summary(plan, free)
    seconds["explain and project"] = time.perf_counter() - clock - sum(seconds.values())
    return SupplyRun(plan, free, frames, summary, seconds)
