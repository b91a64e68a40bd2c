"""Working capital and operating cash flow of a financial plan.

Balances at the end of each month, in the days-outstanding convention:

- receivables = revenue of the month x DSO / days in the month
- inventory value = end inventory x standard cost per unit
- payables = purchases of the month x DPO / days in the month
- working capital = receivables + inventory value - payables

Operating cash flow = gross margin - period costs - change in working capital. See
docs/financial-plan.md for what this simplification leaves out.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from oneplan.engines.frames import require_columns
from oneplan.errors import InputError

DEFAULT_DSO = 45.0
DEFAULT_DPO = 30.0
BALANCES = ["receivables", "inventory_value", "payables", "working_capital"]


def add_working_capital(
    lines: pd.DataFrame,
    *,
    days_sales_outstanding: float = DEFAULT_DSO,
    days_payables_outstanding: float = DEFAULT_DPO,
) -> pd.DataFrame:
    """Add ``days_in_period, receivables, payables, working_capital`` to plan lines.

    `lines` needs ``period, revenue, inventory_value, purchases``.

    >>> lines = pd.DataFrame({"period": pd.to_datetime(["2027-04-01"]), "revenue": [3000.0],
    ...                       "inventory_value": [500.0], "purchases": [600.0]})
    >>> add_working_capital(lines)[BALANCES].values.tolist()
    [[4500.0, 500.0, 600.0, 4400.0]]
    """
    require_columns(lines, ["period", "revenue", "inventory_value", "purchases"], "plan lines")
    days = {
        "days_sales_outstanding": days_sales_outstanding,
        "days_payables_outstanding": days_payables_outstanding,
    }
    for name, value in days.items():
        if value < 0:
            raise InputError(f"{value:g} must not be negative", table="parameters", column=name)
    out = lines.copy()
    out["days_in_period"] = out["period"].dt.days_in_month.astype(float)
    out["receivables"] = out["revenue"] * days_sales_outstanding / out["days_in_period"]
    out["payables"] = out["purchases"] * days_payables_outstanding / out["days_in_period"]
    out["working_capital"] = out["receivables"] + out["inventory_value"] - out["payables"]
    return out


def working_capital_by_period(
    lines: pd.DataFrame, opening_working_capital: float | None = None
) -> pd.DataFrame:
    """Total balances per period and the change from the month before.

    The first month's change is measured against `opening_working_capital`; without it the
    first change is taken as 0 (the plan starts from its own first balance).
    """
    totals = lines.groupby("period", as_index=False)[BALANCES].sum().sort_values("period")
    before = totals["working_capital"].shift(1)
    first = totals["working_capital"].iloc[:1]
    before.iloc[:1] = first if opening_working_capital is None else opening_working_capital
    totals["change_in_working_capital"] = totals["working_capital"] - before
    return totals.reset_index(drop=True)


def cash_flow(
    lines: pd.DataFrame,
    period_costs: pd.DataFrame,
    balances: pd.DataFrame,
) -> pd.DataFrame:
    """Operating cash per period: gross margin - period costs - change in working capital.

    lines: ``period, revenue, cogs, gross_margin``; period_costs: ``period,
    total_period_costs``; balances: as `working_capital_by_period` returns.
    Returns ``period, revenue, cogs, gross_margin, period_costs, operating_profit,
    change_in_working_capital, operating_cash_flow, cumulative_cash_flow``.
    """
    flows = lines.groupby("period", as_index=False)[["revenue", "cogs", "gross_margin"]].sum()
    costs = period_costs.groupby("period", as_index=False)["total_period_costs"].sum()
    out = flows.merge(costs, on="period", how="left").rename(
        columns={"total_period_costs": "period_costs"}
    )
    out["period_costs"] = out["period_costs"].fillna(0.0)
    out = out.merge(balances[["period", "change_in_working_capital"]], on="period", how="left")
    out["operating_profit"] = out["gross_margin"] - out["period_costs"]
    out["operating_cash_flow"] = out["operating_profit"] - out["change_in_working_capital"]
    out = out.sort_values("period").reset_index(drop=True)
    out["cumulative_cash_flow"] = np.cumsum(out["operating_cash_flow"].to_numpy())
    return out[
        [
            "period",
            "revenue",
            "cogs",
            "gross_margin",
            "period_costs",
            "operating_profit",
            "change_in_working_capital",
            "operating_cash_flow",
            "cumulative_cash_flow",
        ]
    ]
