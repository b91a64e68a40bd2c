"""Choice lists and read answers of the finance domain."""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel, ConfigDict, Field

from oneplan.choices import BridgeMeasure, FinanceLevel, Grain

__all__ = [
    "BridgeMeasure",
    "BridgeStep",
    "Decision",
    "DecisionPage",
    "FinanceLevel",
    "FinancePlanPage",
    "FinancePlanRow",
    "Grain",
    "IssueRow",
    "MoneyBridge",
    "VariancePage",
    "VarianceRow",
]


class FinancePlanRow(BaseModel):
    """The plan in money for one period (a month, quarter or year), of one family or of the
    company (whose rows alone carry period costs, operating profit and cash)."""

    model_config = ConfigDict(frozen=True)

    family: str | None = None
    period: date = Field(description="The period's first month.")
    grain: Grain
    months: int | None = None
    shipped_quantity: float | None = None
    revenue: float | None = None
    cogs: float | None = None
    gross_margin: float | None = None
    margin_pct: float | None = None
    variable_costing_margin: float | None = None
    inventory_value: float | None = None
    receivables: float | None = None
    payables: float | None = None
    working_capital: float | None = None
    price: float | None = None
    period_costs: float | None = None
    operating_profit: float | None = None
    operating_cash_flow: float | None = None
    cumulative_cash_flow: float | None = None


class FinancePlanPage(BaseModel):
    """One page of a financial plan's rows, and how many there are in all."""

    model_config = ConfigDict(frozen=True)

    version_id: int
    currency: str
    items: list[FinancePlanRow]
    total: int
    limit: int
    offset: int


class VarianceRow(BaseModel):
    """Plan against budget for one family and month, and the effects that explain it."""

    model_config = ConfigDict(frozen=True)

    family: str
    period: date
    budget_volume: float | None = None
    plan_volume: float | None = None
    budget_revenue: float | None = None
    plan_revenue: float | None = None
    budget_margin: float | None = None
    plan_margin: float | None = None
    revenue_variance: float | None = None
    volume_effect: float | None = None
    mix_effect: float | None = None
    price_effect: float | None = None
    margin_variance: float | None = None
    margin_volume_effect: float | None = None
    margin_mix_effect: float | None = None
    margin_price_effect: float | None = None
    cost_effect: float | None = None


class VariancePage(BaseModel):
    """One page of the budget variance, and how many rows there are in all."""

    model_config = ConfigDict(frozen=True)

    version_id: int
    currency: str
    items: list[VarianceRow]
    total: int
    limit: int
    offset: int


class BridgeStep(BaseModel):
    """One step of the waterfall from budget to plan, and the running total after it."""

    model_config = ConfigDict(frozen=True)

    step: str
    value: float
    cumulative: float


class MoneyBridge(BaseModel):
    """Budget to plan in steps: volume, mix, price (and cost, for the margin)."""

    model_config = ConfigDict(frozen=True)

    version_id: int
    measure: BridgeMeasure
    currency: str
    budget_months: int | None = None
    steps: list[BridgeStep]


class IssueRow(BaseModel):
    """One issue behind a decision: what, where, when, how much, and why."""

    model_config = ConfigDict(frozen=True)

    rank: int
    kind: str
    subject: str
    period: date
    periods: int
    units: float | None = None
    unit: str
    money: float | None = None
    decision: str
    cause: str
    family: str | None = None
    resource: str | None = None
    resource_kind: str | None = None
    note: str | None = None


class Decision(BaseModel):
    """A decision asked of the pre-S&OP meeting, sized in money, with the issues behind it
    (when asked for)."""

    model_config = ConfigDict(frozen=True)

    rank: int
    kind: str
    subject: str
    period: date
    last_period: date | None = None
    periods: int
    units: float | None = None
    unit: str
    money: float | None = None
    decision: str
    cause: str
    rows: int
    subjects: int
    issues: list[IssueRow] = []


class DecisionPage(BaseModel):
    """One page of the ranked decisions, the largest in money first."""

    model_config = ConfigDict(frozen=True)

    version_id: int
    currency: str
    items: list[Decision]
    total: int
    limit: int
    offset: int
