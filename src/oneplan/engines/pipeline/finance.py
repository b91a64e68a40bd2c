"""The finance step's computation: the plan in money, rolled up, against the budget, and the
ranked issues for the pre-S&OP meeting. Formulas: docs/financial-plan.md."""

from __future__ import annotations

from typing import Any

import pandas as pd

from oneplan.engines.finance import (
    bridge,
    budget_variance,
    expected_rebates,
    extend_long_range,
    financial_plan,
    rollup,
)
from oneplan.engines.finance.rollup import Grain
from oneplan.engines.finance.working_capital import DEFAULT_DPO, DEFAULT_DSO
from oneplan.engines.frames import finite_or_none, parameter_number, parameters
from oneplan.engines.issues import DECISION_COLUMNS, DETAIL_COLUMNS, issue_list, meeting_list

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
#: Every frame the finance step returns, in the order people read them.
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
    "issue_detail",
)
#: The issue list's settings (table `parameters`) and their defaults: decisions worth less than
#: this share of the plan's revenue are left off the meeting's list; at most this many are on
#: it; a dip under safety stock within this many months of the horizon's end is not a decision.
ISSUE_SETTINGS = {
    "issue_materiality": 0.0001,
    "issue_decisions": 20.0,
    "issue_horizon_end_months": 2.0,
}
#: The supply frames the finance step reads: the plan, its costs and its explanations.
SUPPLY_FRAMES = (
    "supply_plan",
    "cost_breakdown",
    "workforce_plan",
    "capacity_plan",
    "unmet_demand",
    "projected_inventory",
    "relaxations",
)


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


def finance_headline(frames: dict[str, pd.DataFrame], currency: str) -> dict[str, Any]:
    """The headline figures of a financial plan."""
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
        "working_capital_end": finite_or_none(last["working_capital"])
        if last is not None
        else None,
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
        "issue_rows": len(frames["issue_detail"]),
        "top_issue": str(frames["issues"]["decision"].iloc[0]) if len(frames["issues"]) else None,
    }


def finance_frames(
    tables: dict[str, pd.DataFrame],
    consensus: pd.DataFrame,
    supply: dict[str, pd.DataFrame],
) -> dict[str, pd.DataFrame]:
    """Every frame of the finance step from the tables and the two plans.

    Prices are list prices; each takes its expected rebate (`expected_rebates`: the price
    row's terms, else what ``sales_history`` realised). A table the finance engine cannot use
    raises ``InputError`` naming it.
    """
    params = parameters(tables.get("parameters"))
    budgets = tables.get("budgets")
    if budgets is None:
        budgets = pd.DataFrame(columns=["family", "period", "volume", "revenue", "margin"])
    plan = supply["supply_plan"]
    # Valued net of rebates, as the sales history and the budget are.
    prices = expected_rebates(tables["prices"], tables.get("sales_history"), tables["items"])
    result = financial_plan(
        consensus,
        plan,
        tables["items"],
        tables["item_costs"],
        prices,
        supply_costs=supply_costs(supply, tables.get("resources")),
        families=tables.get("families"),
        periods=plan["period"] if len(plan) else None,
        days_sales_outstanding=parameter_number(params, "days_sales_outstanding", DEFAULT_DSO),
        days_payables_outstanding=parameter_number(
            params, "days_payables_outstanding", DEFAULT_DPO
        ),
    )
    lines = result.lines
    family, total = _rollups(lines, result.cash_flow)
    variance = budget_variance(lines, budgets)
    # Without a supply plan's explanations there is nothing to decide.
    issues, detail = pd.DataFrame(columns=DECISION_COLUMNS), pd.DataFrame(columns=DETAIL_COLUMNS)
    if {"unmet_demand", "capacity_plan", "projected_inventory"} <= supply.keys():
        setting = {name: parameter_number(params, name, d) for name, d in ISSUE_SETTINGS.items()}
        rows = issue_list(
            unmet_demand=supply["unmet_demand"],
            capacity=supply["capacity_plan"],
            inventory=supply["projected_inventory"],
            consensus=lines[["item", "location", "period", "price"]],  # as valued
            variance=variance,
            items=tables["items"],
            relaxations=supply.get("relaxations"),
            horizon_end_months=int(setting["issue_horizon_end_months"]),
        )
        issues, detail = meeting_list(
            rows,
            materiality=setting["issue_materiality"] * float(lines["revenue"].sum()),
            top=int(setting["issue_decisions"]),
            plan_start=plan["period"].min() if len(plan) else None,
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
        "issue_detail": detail,
    }
