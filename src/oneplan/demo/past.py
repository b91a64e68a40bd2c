"""The demo company as it was known in an earlier month: the data a past S&OP cycle planned from.

`known_at` cuts the company's actuals at the month (sales and production before it, nothing
after) and draws the month's own snapshot with the rules the present one is drawn with: stock
on hand at the end of the month before (about a month of the then expected demand), the order
book open at the month's start and the budget of the month's year (from the sales before that
year). Everything else (items, plants, routings, capacities and their calendar, costs, prices,
policies, events) is the company's data as it is now. docs/demo-company.md says what that means
for the past plans.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from oneplan.demo.company import DemoParts
from oneplan.demo.finance import budgets_table
from oneplan.demo.stock import customer_orders_table, inventory_table

#: Months of actuals a past cycle needs after it for its KPIs at lag 3.
SETTLING_MONTHS = 3


def past_months(parts: DemoParts, count: int = 3) -> list[pd.Timestamp]:
    """The ``count`` months whose cycles the demo keeps as its past: the newest ones whose
    plans the sales so far measure at lag 3 (plan start 2027-01: 2026-07 to 2026-09).

    >>> from oneplan.demo.company import build_demo_parts
    >>> [f"{m:%Y-%m}" for m in past_months(build_demo_parts(items=20, history_months=24))]
    ['2024-07', '2024-08', '2024-09']
    """
    last = parts.plan_start - pd.DateOffset(months=SETTLING_MONTHS + 1)
    return [last - pd.DateOffset(months=back) for back in range(count - 1, -1, -1)]


def known_at(parts: DemoParts, month: pd.Timestamp) -> dict[str, pd.DataFrame]:
    """The data package the demo company would have exported at the start of ``month``.

    >>> from oneplan.demo.company import build_demo_parts
    >>> parts = build_demo_parts(items=20, history_months=24)
    >>> past = known_at(parts, pd.Timestamp("2024-08-01"))
    >>> last_sale = past["sales_history"]["period"].max()
    >>> f"{last_sale:%Y-%m}", f"{past['inventory']['as_of'].max():%Y-%m-%d}"
    ('2024-07', '2024-07-31')
    """
    tables = dict(parts.tables)
    done = months_between(parts.first, month)
    if not 0 < done < parts.series_demand.shape[1]:
        raise ValueError(f"month: {month:%Y-%m} is not inside the demo company's history")
    # one generator per month, apart from the present's: the same month always looks the same
    rng = np.random.default_rng([parts.seed, month.year, month.month])
    future = parts.series_demand[:, done:]
    for name in ("sales_history", "production_actuals"):
        table = tables[name]
        tables[name] = table[table["period"] < month].reset_index(drop=True)
    tables["inventory"] = inventory_table(rng, parts.cat, parts.series, future, month)
    tables["customer_orders"] = customer_orders_table(rng, parts.cat, parts.series, future, month)
    year = pd.Timestamp(month.year, 1, 1)
    before_year = tables["sales_history"][tables["sales_history"]["period"] < year]
    tables["budgets"] = budgets_table(rng, parts.cat, before_year, year)
    params = tables["parameters"].copy()
    params.loc[params["name"] == "plan_start", "value"] = f"{month:%Y-%m-%d}"
    tables["parameters"] = params
    return tables


def months_between(first: pd.Timestamp, month: pd.Timestamp) -> int:
    """Whole months from ``first`` to ``month``.

    >>> months_between(pd.Timestamp("2023-01-01"), pd.Timestamp("2026-07-01"))
    42
    """
    return (month.year - first.year) * 12 + month.month - first.month
