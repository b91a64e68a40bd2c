"""The columns of every data-package table, in the package's order, and a frame builder.

The demo company writes exactly these tables; `frame` puts a dict of columns into that order and
fills optional columns that a table leaves empty.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

TABLE_COLUMNS: dict[str, tuple[str, ...]] = {
    "parameters": ("name", "value"),
    "locations": ("code", "name", "kind", "region"),
    "families": ("code", "name", "category"),
    "items": (
        "code",
        "description",
        "uom",
        "family",
        "lifecycle_status",
        "launch_date",
        "end_date",
        "like_item",
    ),
    "launches": ("item", "like_item", "scale", "ramp_up_periods"),
    "customers": ("code", "name", "channel", "region"),
    "sales_history": ("item", "location", "period", "quantity", "revenue"),
    "inventory": ("item", "location", "on_hand", "as_of"),
    "customer_orders": (
        "order_line",
        "customer",
        "item",
        "location",
        "quantity",
        "order_date",
        "requested_date",
    ),
    "production_actuals": ("item", "location", "period", "quantity"),
    "resources": (
        "code",
        "name",
        "kind",
        "location",
        "capacity_uom",
        "capacity_per_period",
        "overtime_per_period",
    ),
    "resource_capacity": ("resource", "period", "capacity", "note"),
    "routings": ("item", "location", "resource", "usage_per_unit"),
    "lanes": ("from_location", "to_location", "lead_time_periods", "cost_per_unit"),
    "workforce": (
        "resource",
        "headcount",
        "hours_per_worker",
        "regular_wage",
        "overtime_wage",
        "overtime_limit_per_worker",
        "hiring_cost",
        "layoff_cost",
        "min_headcount",
        "max_headcount",
    ),
    "item_costs": (
        "item",
        "location",
        "valid_from",
        "material_cost",
        "labour_cost",
        "overhead_cost",
        "holding_cost",
        "backlog_cost",
        "lost_sales_cost",
        "subcontract_cost",
        "subcontract_limit",
    ),
    "prices": ("item", "channel", "valid_from", "price"),
    "inventory_policies": (
        "item",
        "location",
        "method",
        "service_level",
        "days_of_supply",
        "safety_stock",
        "min_inventory",
        "max_inventory",
        "lead_time_periods",
        "max_backlog_periods",
        "ending_inventory",
    ),
    "budgets": ("family", "period", "volume", "revenue", "margin"),
    "demand_events": (
        "code",
        "kind",
        "item",
        "family",
        "location",
        "start_period",
        "end_period",
        "uplift_pct",
        "uplift_quantity",
        "description",
    ),
    "demand": ("item", "location", "period", "quantity"),
}

# Columns holding dates; every other column is text or a number.
DATE_COLUMNS = frozenset(
    {
        "launch_date",
        "end_date",
        "period",
        "as_of",
        "order_date",
        "requested_date",
        "valid_from",
        "start_period",
        "end_period",
    }
)

# Columns holding text (codes, names, notes): pandas' string dtype, missing cells are NaN.
TEXT_COLUMNS = frozenset(
    {
        "name",
        "value",
        "code",
        "kind",
        "region",
        "category",
        "description",
        "uom",
        "family",
        "lifecycle_status",
        "like_item",
        "item",
        "channel",
        "location",
        "order_line",
        "customer",
        "capacity_uom",
        "resource",
        "note",
        "from_location",
        "to_location",
        "method",
    }
)


def frame(table: str, columns: dict[str, Any]) -> pd.DataFrame:
    """Build `table` from `columns` in the package's order; absent columns become empty.

    Dates are converted to `datetime64[ns]`; a column not given is all-missing (None for text,
    NaN for numbers and text, NaT for dates).

    >>> frame("families", {"code": ["HOS"], "name": ["Hoses"], "category": ["Garden"]})
      code   name category
    0  HOS  Hoses   Garden
    >>> list(frame("demand", {}).columns)
    ['item', 'location', 'period', 'quantity']
    """
    order = TABLE_COLUMNS[table]
    unknown = set(columns) - set(order)
    if unknown:
        raise ValueError(f"{table}: columns {sorted(unknown)} are not part of the table")
    lengths = {len(v) for v in columns.values() if not np.isscalar(v)}
    if len(lengths) > 1:
        raise ValueError(f"{table}: columns have different lengths {sorted(lengths)}")
    n = lengths.pop() if lengths else 0
    data: dict[str, Any] = {}
    for name in order:
        value = columns.get(name)
        if value is not None and np.isscalar(value):
            value = [value] * n  # one value for every row, e.g. uom "EA"
        if name in DATE_COLUMNS:
            raw = np.full(n, np.datetime64("NaT", "ns")) if value is None else np.asarray(value)
            data[name] = pd.Series(pd.to_datetime(raw)).astype("datetime64[ns]")
        elif value is None:
            data[name] = pd.Series([None] * n, dtype="str" if name in TEXT_COLUMNS else float)
        elif isinstance(value, pd.api.extensions.ExtensionArray):
            data[name] = pd.Series(value)  # keeps nullable integers such as Int64
        elif name in TEXT_COLUMNS:
            data[name] = pd.Series(np.asarray(value, dtype=object), dtype="str")
        else:
            data[name] = pd.Series(np.asarray(value))
    return pd.DataFrame(data, columns=list(order)).reset_index(drop=True)
