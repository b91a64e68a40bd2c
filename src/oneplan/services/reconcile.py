"""The reconcile step (pre-S&OP): the cycle's plan in money, against the budget.

Reads the master data, prices, costs and budgets, the newest demand plan's consensus and the
newest supply plan; the finance engine turns them into revenue, cost of goods, margin, working
capital and cash per item x location x month, rolls them up, extends them to three years and
compares them with the budget. One immutable plan version of kind ``finance`` is stored.
Formulas: docs/financial-plan.md; what is stored and shown: docs/reconcile-step.md.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import sqlalchemy as sa
from sqlalchemy.orm import Session

from oneplan import __version__
from oneplan.config import Settings, get_settings
from oneplan.datapack import package_schema
from oneplan.db.plans import PlanFrame, PlanVersion
from oneplan.db.session import unit_of_work
from oneplan.engines.finance import (
    bridge,
    budget_variance,
    extend_long_range,
    financial_plan,
    rollup,
)
from oneplan.engines.finance.rollup import Grain
from oneplan.engines.finance.working_capital import DEFAULT_DPO, DEFAULT_DSO
from oneplan.engines.reconcile import gap_list
from oneplan.engines.reconcile.gaps import COLUMNS as GAP_COLUMNS
from oneplan.errors import NotFound, Problem, ValidationFailed
from oneplan.services.exports import read_tables
from oneplan.services.plans import content_hash, get_version, load_frames, save_version

if TYPE_CHECKING:
    from oneplan.pipeline import CycleContext

KIND = "finance"
#: The package tables the financial plan reads.
FINANCE_TABLES = ["parameters", "items", "families", "item_costs", "prices", "budgets", "resources"]
#: Figures rolled up by family and in total (flows add up; balances take the last month).
ROLLUP_VALUES = [
    "shipped_quantity",
    "revenue",
    "cogs",
    "gross_margin",
    "variable_costing_margin",
    "inventory_value",
    "receivables",
    "payables",
    "working_capital",
]
CASH_VALUES = ["period_costs", "operating_profit", "operating_cash_flow", "cumulative_cash_flow"]
LONG_RANGE_VALUES = ["shipped_quantity", "revenue", "cogs", "gross_margin"]
GRAINS: tuple[Grain, ...] = ("month", "quarter", "year")
#: Supply cost terms (cost_breakdown) that are money spent, by the engine's period-cost name.
SPEND_TERMS = {
    "overtime_cost": ["overtime_labour", "machine_overtime"],
    "hiring_cost": ["hiring"],
    "layoff_cost": ["layoffs"],
    "holding_cost": ["holding"],
    "subcontract_cost": ["subcontracting"],
}
#: Every frame a finance version stores, in the order people read them.
FRAME_NAMES = (
    "lines",
    "rollup_family",
    "rollup_total",
    "long_range",
    "budget_variance",
    "revenue_bridge",
    "margin_bridge",
    "period_costs",
    "working_capital",
    "cash_flow",
    "gaps",
    "issues",
)
#: Supply frames the gap list reads besides those the financial plan needs.
ISSUE_FRAMES = ("unmet_demand", "projected_inventory", "relaxations")


@dataclass(frozen=True)
class ReconcileResult:
    """One reconcile run: the frames stored, the summary and seconds per phase."""

    version_id: int
    cycle: str
    frames: dict[str, pd.DataFrame]
    summary: dict[str, Any]
    seconds: dict[str, float] = field(default_factory=dict)


def _newest_demand(session: Session) -> PlanVersion:
    version = session.scalars(
        sa.select(PlanVersion)
        .join(PlanFrame, PlanFrame.version_id == PlanVersion.id)
        .where(PlanVersion.kind == "demand", PlanFrame.name == "consensus")
        .order_by(PlanVersion.id.desc())
        .limit(1)
    ).first()
    if version is None:
        raise NotFound(
            "there is no demand plan to reconcile: no demand plan version with a consensus is "
            "stored (run the demand step first)"
        )
    return version


def _newest_supply(session: Session) -> PlanVersion:
    version = session.scalars(
        sa.select(PlanVersion)
        .where(PlanVersion.kind == "supply")
        .order_by(PlanVersion.id.desc())
        .limit(1)
    ).first()
    if version is None:
        raise NotFound(
            "there is no supply plan to reconcile: no supply plan version is stored "
            "(run the supply step first)"
        )
    return version


def _parameter_text(parameters: pd.DataFrame | None, name: str) -> str | None:
    if parameters is None or not len(parameters):
        return None
    rows = parameters.loc[parameters["name"].astype(str) == name, "value"]
    return None if not len(rows) else str(rows.iloc[-1])


def _parameter(parameters: pd.DataFrame | None, name: str, default: float) -> float:
    """A number from the parameters table, or `default` when the row is absent."""
    text = _parameter_text(parameters, name)
    if text is None:
        return default
    try:
        return float(text)
    except ValueError:
        problem = Problem("parameters", None, "value", f"{name} = {text!r} is not a number")
        raise ValidationFailed([problem]) from None


def supply_costs(frames: dict[str, pd.DataFrame], resources: pd.DataFrame | None) -> pd.DataFrame:
    """The supply plan's spend terms spread over location x month.

    Each term's total (from ``cost_breakdown``) is split in proportion to its driver: overtime
    hours of the resources (capacity_plan), hires and layoffs (workforce_plan), end inventory
    and subcontracted units (supply_plan). A term whose driver is all zero is spread evenly
    over the plan's location-months. The totals therefore equal the cost breakdown exactly.
    Returns ``location, period`` and one column per key of `SPEND_TERMS`.

    >>> plan = pd.DataFrame({"location": "P1", "period": pd.to_datetime(["2027-01-01",
    ...     "2027-02-01"]), "end_inventory": [30.0, 10.0], "subcontract": 0.0})
    >>> costs = pd.DataFrame({"term": ["holding", "layoffs"], "value": [80.0, 500.0]})
    >>> out = supply_costs({"supply_plan": plan, "cost_breakdown": costs}, None)
    >>> out[["holding_cost", "layoff_cost"]].values.tolist()
    [[60.0, 250.0], [20.0, 250.0]]
    """
    plan = frames["supply_plan"]
    breakdown = frames["cost_breakdown"].set_index("term")["value"]
    grid = plan[["location", "period"]].drop_duplicates().reset_index(drop=True)
    located = pd.Series(dtype=str)
    if resources is not None and len(resources):
        located = resources.set_index("code")["location"].astype(str)

    def by_resource(frame: pd.DataFrame | None, column: str) -> pd.DataFrame:
        if frame is None or column not in frame.columns:
            return pd.DataFrame({"location": [], "period": [], "driver": []})
        rows = frame.assign(location=frame["resource"].map(located), driver=frame[column])
        return rows.dropna(subset=["location"])[["location", "period", "driver"]]

    drivers = {
        "overtime_cost": by_resource(frames.get("capacity_plan"), "overtime_used"),
        "hiring_cost": by_resource(frames.get("workforce_plan"), "hires"),
        "layoff_cost": by_resource(frames.get("workforce_plan"), "layoffs"),
        "holding_cost": plan.assign(driver=plan["end_inventory"]),
        "subcontract_cost": plan.assign(driver=plan["subcontract"]),
    }
    out = grid.copy()
    for column, terms in SPEND_TERMS.items():
        total = float(breakdown.reindex(terms).fillna(0.0).sum())
        driver = drivers[column][["location", "period", "driver"]]
        driver = driver.assign(period=pd.to_datetime(driver["period"]).astype("datetime64[ns]"))
        weights = grid.merge(
            driver.groupby(["location", "period"], as_index=False)["driver"].sum(),
            on=["location", "period"],
            how="left",
        )["driver"].fillna(0.0)
        weights = weights.clip(lower=0.0)
        if weights.sum() <= 0:
            weights = pd.Series(1.0, index=grid.index)
        out[column] = total * weights.to_numpy() / weights.sum() if len(grid) else 0.0
    return out


def _rollups(lines: pd.DataFrame, cash: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Family and total roll-ups at every grain; the total one carries the cash figures."""
    family = pd.concat(
        [rollup(lines, level="family", grain=g, values=ROLLUP_VALUES) for g in GRAINS],
        ignore_index=True,
    )
    totals = []
    for grain in GRAINS:
        money = rollup(lines, level="total", grain=grain, values=ROLLUP_VALUES)
        money_cash = rollup(cash, level="total", grain=grain, values=CASH_VALUES)
        totals.append(money.merge(money_cash.drop(columns="months"), on=["period", "grain"]))
    return family, pd.concat(totals, ignore_index=True)


def _number(value: Any) -> float | None:
    if value is None:
        return None
    number = float(value)
    return number if math.isfinite(number) else None


def _summary(frames: dict[str, pd.DataFrame], currency: str) -> dict[str, Any]:
    lines, cash, balances = frames["lines"], frames["cash_flow"], frames["working_capital"]
    variance = frames["budget_variance"]
    revenue, cogs = float(lines["revenue"].sum()), float(lines["cogs"].sum())
    margin = float(lines["gross_margin"].sum())
    last = balances.sort_values("period").iloc[-1] if len(balances) else None
    budget_revenue = float(variance["budget_revenue"].sum())
    budget_margin = float(variance["budget_margin"].sum())
    return {
        "currency": currency,
        "plan_start": f"{lines['period'].min():%Y-%m}" if len(lines) else None,
        "plan_end": f"{lines['period'].max():%Y-%m}" if len(lines) else None,
        "shipped_units": float(lines["shipped_quantity"].sum()),
        "revenue": revenue,
        "cogs": cogs,
        "gross_margin": margin,
        "margin_pct": margin / revenue if revenue else None,
        "working_capital_end": _number(last["working_capital"]) if last is not None else None,
        "operating_cash_flow": float(cash["operating_cash_flow"].sum()),
        "period_costs": float(cash["period_costs"].sum()),
        "budget_months": int(variance["period"].nunique()),
        "budget_revenue": budget_revenue,
        "plan_revenue_in_budget_months": float(variance["plan_revenue"].sum()),
        "revenue_vs_budget": float(variance["revenue_variance"].sum()),
        "budget_margin": budget_margin,
        "plan_margin_in_budget_months": float(variance["plan_margin"].sum()),
        "margin_vs_budget": float(variance["margin_variance"].sum()),
        "gaps": len(frames["gaps"]),
        "issues": len(frames["issues"]),
        "top_issue": str(frames["issues"]["decision"].iloc[0]) if len(frames["issues"]) else None,
    }


def reconcile_frames(
    tables: dict[str, pd.DataFrame],
    consensus: pd.DataFrame,
    supply: dict[str, pd.DataFrame],
) -> dict[str, pd.DataFrame]:
    """Every frame of the finance version from the tables and the two plans (pure).

    A table the finance engine cannot use raises ``ValidationFailed`` naming it.
    """
    parameters = tables.get("parameters")
    budgets = tables.get("budgets")
    if budgets is None:
        budgets = pd.DataFrame(columns=["family", "period", "volume", "revenue", "margin"])
    plan = supply["supply_plan"]
    result = financial_plan(
        consensus,
        plan,
        tables["items"],
        tables["item_costs"],
        tables["prices"],
        supply_costs=supply_costs(supply, tables.get("resources")),
        families=tables.get("families"),
        periods=plan["period"] if len(plan) else None,
        days_sales_outstanding=_parameter(parameters, "days_sales_outstanding", DEFAULT_DSO),
        days_payables_outstanding=_parameter(parameters, "days_payables_outstanding", DEFAULT_DPO),
    )
    lines = result.lines
    family, total = _rollups(lines, result.cash_flow)
    variance = budget_variance(lines, budgets)
    issues = pd.DataFrame(columns=GAP_COLUMNS)  # without a supply plan's explanations
    if {"unmet_demand", "capacity_plan", "projected_inventory"} <= supply.keys():
        issues = gap_list(
            unmet_demand=supply["unmet_demand"],
            capacity=supply["capacity_plan"],
            inventory=supply["projected_inventory"],
            consensus=lines[["item", "location", "period", "price"]],  # as valued
            variance=variance,
            items=tables["items"],
            relaxations=supply.get("relaxations"),
        )
    return {
        "lines": lines,
        "rollup_family": family,
        "rollup_total": total,
        "long_range": extend_long_range(lines, 3, level="family", values=LONG_RANGE_VALUES),
        "budget_variance": variance,
        "revenue_bridge": bridge(variance, "revenue"),
        "margin_bridge": bridge(variance, "margin"),
        "period_costs": result.period_costs,
        "working_capital": result.working_capital,
        "cash_flow": result.cash_flow,
        "gaps": result.gaps.astype({"channel": object}),
        "issues": issues,
    }


def run_reconcile(engine: sa.Engine, settings: Settings | None = None) -> ReconcileResult:
    """The cycle's reconcile step: read, value the plans, store a ``finance`` version.

    Inputs are read in one read-only unit of work and the version is stored in one short write
    unit of work (all or nothing). NotFound when no demand or no supply version is stored.
    """
    settings = settings or get_settings()
    seconds: dict[str, float] = {}
    clock = time.perf_counter()
    with unit_of_work(engine, write=False) as session:
        tables = read_tables(session.connection(), package_schema(), FINANCE_TABLES)
        demand = _newest_demand(session)
        supply = _newest_supply(session)
        consensus = load_frames(session, demand.id, ["consensus"])["consensus"]
        supply_frames = load_frames(
            session,
            supply.id,
            ["supply_plan", "cost_breakdown", "workforce_plan", "capacity_plan", *ISSUE_FRAMES],
        )
        cycle, supply_summary = demand.cycle, dict(supply.summary or {})
        demand_id, supply_id = demand.id, supply.id
    seconds["read tables and plans"] = time.perf_counter() - clock

    frames = reconcile_frames(tables, consensus, supply_frames)
    currency = _parameter_text(tables.get("parameters"), "currency") or ""
    summary = {
        **_summary(frames, currency),
        "demand_version": demand_id,
        "supply_version": supply_id,
        "supply_demand_version": supply_summary.get("demand_version"),
    }
    seconds["financial plan, roll-ups and variance"] = (
        time.perf_counter() - clock - sum(seconds.values())
    )
    run_settings = {
        "demand_version": demand_id,
        "supply_version": supply_id,
        "oneplan": __version__,
    }
    inputs = {**tables, "consensus": consensus, **supply_frames}
    clock = time.perf_counter()
    with unit_of_work(engine, write=True) as session:
        version = save_version(
            session,
            cycle=cycle,
            kind=KIND,
            name=f"Financial plan {cycle}",
            frames=frames,
            settings=run_settings,
            summary=summary,
            input_hash=content_hash(inputs, {"oneplan": __version__}),  # content, not ids
            user=settings.user,
        )
        version_id = version.id
    seconds["store version"] = time.perf_counter() - clock
    return ReconcileResult(version_id, cycle, frames, summary, seconds)


def finance_version(
    session: Session, version_id: int | None = None, names: list[str] | None = None
) -> tuple[PlanVersion, dict[str, pd.DataFrame]]:
    """A stored finance version (the newest when no id is given) and its frames."""
    version = get_version(session, version_id, KIND)
    return version, load_frames(session, version.id, names)


def _money(value: Any, currency: str) -> str:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return "-"
    return f"{float(value):,.0f} {currency}".strip()


def step_summary(result: ReconcileResult) -> list[tuple[str, str]]:
    """What the cycle table shows for the reconcile step."""
    s, currency = result.summary, result.summary["currency"]
    lines = [
        ("version", f"#{result.version_id}"),
        ("revenue", _money(s["revenue"], currency)),
        ("gross margin", _money(s["gross_margin"], currency)),
    ]
    if s["margin_pct"] is not None:
        lines.append(("margin %", f"{s['margin_pct']:.1%}"))
    lines.append(("working capital at end", _money(s["working_capital_end"], currency)))
    lines.append(("operating cash", _money(s["operating_cash_flow"], currency)))
    if s["budget_months"]:
        lines.append(("revenue vs budget", _money(s["revenue_vs_budget"], currency)))
        lines.append(("margin vs budget", _money(s["margin_vs_budget"], currency)))
    if s["gaps"]:
        lines.append(("unvalued rows", str(s["gaps"])))
    if s.get("issues"):
        lines.append(("issues to decide", str(s["issues"])))
    return lines


def reconcile_step(context: CycleContext) -> list[tuple[str, str]]:
    """The cycle's ``reconcile`` step: run, store, keep the result in ``context.results``."""
    result = run_reconcile(context.engine, context.settings)
    context.results["reconcile"] = result
    return step_summary(result)
