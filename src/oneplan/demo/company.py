"""The demo company: a mid-size garden and home products manufacturer as a complete data package.

`build_demo_company` is deterministic for a seed and vectorised, so the same call gives the
README's example data, the fixture of the tests and, with more items, the benchmark data.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from oneplan.demo.columns import TABLE_COLUMNS, frame
from oneplan.demo.finance import (
    budgets_table,
    inventory_policies_table,
    item_costs_table,
    prices_table,
)
from oneplan.demo.history import (
    Series,
    apply_events,
    demand_events,
    draw_quantities,
    expected_item_demand,
    sales_history_table,
    selling_series,
)
from oneplan.demo.master import Catalogue, FloatArray, build_catalogue, master_tables
from oneplan.demo.stock import (
    customer_orders_table,
    inventory_table,
    production_actuals_table,
    stocking_pairs,
)
from oneplan.demo.supply import build_routings, supply_tables

COMPANY_NAME = "Greenfield Garden & Home GmbH"
CURRENCY = "EUR"
HORIZON_PERIODS = 18
MIN_ITEMS = 20
MIN_HISTORY_MONTHS = 24
# An hour of a machine run past its shifts: energy, wear and a supervisor's premium, in EUR
# (the crew's own overtime is paid through its overtime wage).
MACHINE_OVERTIME_COST = 30.0


def _check(items: int, start: str, history_months: int) -> pd.Timestamp:
    if items < MIN_ITEMS:
        raise ValueError(f"items: must be at least {MIN_ITEMS}, got {items}")
    if history_months < MIN_HISTORY_MONTHS:
        raise ValueError(
            f"history_months: must be at least {MIN_HISTORY_MONTHS} (two seasons), "
            f"got {history_months}"
        )
    try:
        first = pd.Timestamp(start)
    except ValueError as exc:
        raise ValueError(f"start: {start!r} is not a date") from exc
    if first != first.to_period("M").to_timestamp():
        raise ValueError(f"start: {start!r} must be the first day of a month")
    return first


@dataclass(frozen=True)
class DemoParts:
    """The demo company's tables and what they were drawn from: the catalogue, the selling
    series and each series' expected demand over history and horizon (``series_demand``,
    one column a month from ``first``), so that the company's past can be told with the same
    rules (`oneplan.demo.past`)."""

    tables: dict[str, pd.DataFrame]
    cat: Catalogue
    series: Series
    series_demand: FloatArray
    first: pd.Timestamp
    plan_start: pd.Timestamp
    seed: int


def build_demo_company(
    items: int = 150, seed: int = 7, start: str = "2023-01-01", history_months: int = 48
) -> dict[str, pd.DataFrame]:
    """Build the demo company's data package: one frame per table, keyed by table name.

    `start` is the first history month; the plan starts the month after the history and runs
    18 months. The same arguments always give identical frames.

    >>> tables = build_demo_company(items=40, seed=1, history_months=24)
    >>> tables["parameters"].set_index("name").loc["plan_start", "value"]
    '2025-01-01'
    >>> sorted(tables["items"]["family"].unique())
    ['HOS', 'SPR', 'STO']
    >>> tables["demand"].empty
    True
    """
    return build_demo_parts(items, seed, start, history_months).tables


def build_demo_parts(
    items: int = 150, seed: int = 7, start: str = "2023-01-01", history_months: int = 48
) -> DemoParts:
    """`build_demo_company`'s tables with what they were drawn from (`DemoParts`)."""
    first = _check(items, start, history_months)
    plan_start = first + pd.DateOffset(months=history_months)
    streams = [np.random.default_rng(s) for s in np.random.SeedSequence(seed).spawn(10)]

    cat = build_catalogue(streams[0], items, history_months)
    tables = master_tables(streams[1], cat, first)

    months = history_months + HORIZON_PERIODS
    series = selling_series(cat)
    item_demand = expected_item_demand(cat, first, months)
    events = demand_events(streams[2], cat, first, HORIZON_PERIODS)
    series_demand, promotion = apply_events(
        item_demand[series.item] * series.share[:, None], series, cat, events
    )
    past, future = series_demand[:, :history_months], series_demand[:, history_months:]
    quantity = draw_quantities(streams[3], past, series, cat)
    tables["sales_history"] = sales_history_table(
        streams[4], quantity, promotion[:, :history_months], series, cat, first
    )
    tables["demand_events"] = events.table

    # Capacities are sized on the expected demand of the horizon, events included.
    item_future = np.zeros((cat.size, HORIZON_PERIODS))
    np.add.at(item_future, series.item, future)
    routings = build_routings(streams[5], cat)
    tables.update(supply_tables(routings, item_future, cat, plan_start))

    tables["inventory"] = inventory_table(streams[6], cat, series, future, plan_start)
    tables["customer_orders"] = customer_orders_table(streams[7], cat, series, future, plan_start)
    tables["production_actuals"] = production_actuals_table(
        streams[8], cat, series, quantity, future, first
    )

    money = streams[9]
    stock_item, stock_location = stocking_pairs(cat, series)
    monthly = item_future.mean(axis=1)
    tables["item_costs"] = item_costs_table(
        money, cat, stock_item, stock_location, monthly, plan_start
    )
    tables["prices"] = prices_table(money, cat, plan_start)
    tables["inventory_policies"] = inventory_policies_table(
        money, cat, stock_item, stock_location, monthly
    )
    tables["budgets"] = budgets_table(money, cat, tables["sales_history"], plan_start)
    tables["demand"] = frame("demand", {})
    tables["parameters"] = frame(
        "parameters",
        {
            "name": [
                "plan_start",
                "horizon_periods",
                "currency",
                "company_name",
                "machine_overtime_cost",
            ],
            "value": [
                plan_start.strftime("%Y-%m-%d"),
                str(HORIZON_PERIODS),
                CURRENCY,
                COMPANY_NAME,
                f"{MACHINE_OVERTIME_COST:g}",
            ],
        },
    )
    ordered = {name: tables[name] for name in TABLE_COLUMNS}
    return DemoParts(ordered, cat, series, series_demand, first, plan_start, seed)
