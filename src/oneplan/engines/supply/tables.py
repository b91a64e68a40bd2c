"""Reading the data-package tables the supply plan needs: checks and per-table resolution."""

from __future__ import annotations

import numpy as np
import pandas as pd

from oneplan.engines.frames import month_starts, numeric, require_columns, value_in_force
from oneplan.errors import InputError

NODE_TABLES = ("demand", "inventory", "routings", "item_costs", "inventory_policies")
RESOURCE_KINDS = ("machine", "labour", "supplier")


def node_frame(tables: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """All (item, location) pairs named by any node-level table, sorted."""
    parts = []
    for name in NODE_TABLES:
        frame = tables.get(name)
        if frame is not None and len(frame):
            require_columns(frame, ["item", "location"], name)
            parts.append(frame[["item", "location"]].astype(str))
    if not parts:
        message = "has no rows, and no other table names an item at a location"
        raise InputError(message, table="demand")
    nodes = pd.concat(parts).drop_duplicates().sort_values(["item", "location"])
    return nodes.reset_index(drop=True)


def effective_dated(
    frame: pd.DataFrame | None,
    table: str,
    keys: list[str],
    columns: list[str],
    nodes: pd.DataFrame,
    months: pd.DatetimeIndex,
) -> dict[str, np.ndarray]:
    """Resolve ``valid_from`` rows to a ``(node, month)`` grid per column.

    A row applies from its month until the next ``valid_from`` of the same key; months before
    the first row take the first row (so a cost list dated mid-horizon still prices the start).
    """
    shape = (len(nodes), len(months))
    if frame is None or frame.empty:
        return {c: np.full(shape, np.nan) for c in columns}
    require_columns(frame, [*keys, "valid_from"], table)
    dated = frame[keys].astype(str).assign(valid_from=frame["valid_from"])
    for c in columns:
        dated[c] = numeric(frame, c, table, allow_negative=False) if c in frame else np.nan
    # node-major: the grid's values reshape straight to (node, month)
    grid = nodes.merge(pd.DataFrame({"period": months}), how="cross")
    found = value_in_force(grid, dated, keys, columns, before_first="first", table=table)
    return {c: found[c].to_numpy(float).reshape(shape) for c in columns}


def capacities(tables: dict[str, pd.DataFrame], months: pd.DatetimeIndex) -> dict[str, np.ndarray]:
    """Per resource and month: capacity (base, overridden by ``resource_capacity``) and overtime.

    ``calendar_row`` holds, per resource and month, the position of the ``resource_capacity``
    row that set the month (-1: the base applies), so a later check can name the row.
    """
    res = tables.get("resources")
    if res is None or res.empty:
        empty = np.zeros((0, len(months)))
        return {
            "code": np.array([], object),
            "kind": np.array([], object),
            "base": np.zeros(0),
            "capacity": empty,
            "overtime": empty.copy(),
            "calendar_row": np.zeros((0, len(months)), int),
        }
    require_columns(res, ["code", "kind", "capacity_per_period"], "resources")
    codes = res["code"].astype(str)
    twice = codes.duplicated().to_numpy()
    if twice.any():
        row = int(np.argmax(twice))
        message = f"{codes.iloc[row]!r} appears more than once"
        raise InputError(message, table="resources", column="code", row=row)
    kinds = res["kind"].astype(str)
    odd = ~kinds.isin(RESOURCE_KINDS).to_numpy()
    if odd.any():
        row = int(np.argmax(odd))
        message = f"is {kinds.iloc[row]!r}; it must be one of {', '.join(RESOURCE_KINDS)}"
        raise InputError(message, table="resources", column="kind", row=row)
    base = numeric(res, "capacity_per_period", "resources", default=0.0, allow_negative=False)
    capacity = np.repeat(base.to_numpy()[:, None], len(months), axis=1)
    overtime = np.zeros_like(capacity)
    calendar_row = np.full(capacity.shape, -1)
    if "overtime_per_period" in res:
        extra = numeric(res, "overtime_per_period", "resources", default=0.0, allow_negative=False)
        overtime += np.where(kinds.to_numpy() == "machine", extra.to_numpy(), 0.0)[:, None]
    over = tables.get("resource_capacity")
    if over is not None and len(over):
        require_columns(over, ["resource", "period", "capacity"], "resource_capacity")
        rows = pd.Index(codes).get_indexer(pd.Index(over["resource"].astype(str)))
        if (rows < 0).any():
            row = int(np.argmax(rows < 0))
            message = f"{over['resource'].iloc[row]!r} is not in resources"
            raise InputError(message, table="resource_capacity", column="resource", row=row)
        periods = month_starts(over["period"], table="resource_capacity", required=True)
        cols = months.get_indexer(pd.DatetimeIndex(periods))
        ok = cols >= 0
        capacity[rows[ok], cols[ok]] = numeric(
            over, "capacity", "resource_capacity", allow_negative=False
        ).to_numpy()[ok]
        calendar_row[rows[ok], cols[ok]] = np.flatnonzero(ok)
        # A machine the calendar shuts down for a month (capacity 0) runs no overtime either.
        shut = capacity[rows[ok], cols[ok]] <= 0
        overtime[rows[ok][shut], cols[ok][shut]] = 0.0
    return {
        "code": codes.to_numpy(object),
        "kind": kinds.to_numpy(object),
        "base": base.to_numpy(float),
        "capacity": capacity,
        "overtime": overtime,
        "calendar_row": calendar_row,
    }


def working_time(
    res: dict[str, np.ndarray], pools: dict[str, np.ndarray], tables: dict[str, pd.DataFrame]
) -> np.ndarray:
    """Per labour pool and month, the share of an ordinary month's hours its workers give.

    A pool with a ``workforce`` row takes its hours from its headcount, so a calendar row on it
    cannot be a number of hours: it is read as the hours the *starting* crew would give that
    month (headcount x hours per worker; ``capacity_per_period`` when the crew starts empty),
    and the ratio applies to every worker the plan has in that month. Months without a row
    are ordinary (1.0).
    """
    resource = pools["resource"]
    if resource.size == 0:
        return np.ones((0, res["capacity"].shape[1]))
    ordinary = pools["headcount"] * pools["hours_per_worker"]
    ordinary = np.where(ordinary > 0, ordinary, res["base"][resource])
    row = res["calendar_row"][resource]
    given = row >= 0
    unreadable = given & (ordinary[:, None] <= 0)
    if unreadable.any():
        at = int(row[unreadable][0])
        message = (
            f"{res['code'][resource][np.nonzero(unreadable)[0][0]]!r} is a labour pool with no "
            "workers and no base hours at the start, so there is no ordinary month to compare "
            "with; give it a capacity_per_period or a headcount"
        )
        raise InputError(message, table="resource_capacity", column="capacity", row=at)
    with np.errstate(divide="ignore", invalid="ignore"):
        share = res["capacity"][resource] / ordinary[:, None]
    return np.asarray(np.where(given, share, 1.0), float)


def routings(
    tables: dict[str, pd.DataFrame], key: pd.MultiIndex, codes: np.ndarray
) -> dict[str, np.ndarray]:
    """Routing edges: node index, resource index, usage per unit."""
    r = tables.get("routings")
    if r is None or r.empty:
        return {"node": np.array([], int), "resource": np.array([], int), "usage": np.array([])}
    require_columns(r, ["item", "location", "resource", "usage_per_unit"], "routings")
    node = key.get_indexer(pd.MultiIndex.from_frame(r[["item", "location"]].astype(str)))
    resource = pd.Index(codes).get_indexer(pd.Index(r["resource"].astype(str)))
    if (resource < 0).any():
        row = int(np.argmax(resource < 0))
        message = f"{r['resource'].iloc[row]!r} is not in resources"
        raise InputError(message, table="routings", column="resource", row=row)
    usage = numeric(r, "usage_per_unit", "routings", allow_negative=False).to_numpy()
    unusable = ~(usage > 0)  # zero or empty: the routing would make units from nothing
    if unusable.any():
        row = int(np.argmax(unusable))
        given = "empty" if np.isnan(usage[row]) else f"{usage[row]:g}"
        message = f"is {given}; it must be more than 0"
        raise InputError(message, table="routings", column="usage_per_unit", row=row)
    return {"node": node.astype(int), "resource": resource.astype(int), "usage": usage}


WORKFORCE_COLUMNS = [
    "headcount",
    "hours_per_worker",
    "regular_wage",
    "overtime_wage",
    "overtime_limit_per_worker",
    "hiring_cost",
    "layoff_cost",
]


def workforce(tables: dict[str, pd.DataFrame], codes: np.ndarray) -> dict[str, np.ndarray]:
    """Labour pools with a headcount: one row per pool, resource as an index into resources."""
    w = tables.get("workforce")
    cols = [*WORKFORCE_COLUMNS, "min_headcount", "max_headcount"]
    if w is None or w.empty:
        return {"resource": np.array([], int)} | {c: np.array([]) for c in cols}
    require_columns(w, ["resource", *WORKFORCE_COLUMNS], "workforce")
    resource = pd.Index(codes).get_indexer(pd.Index(w["resource"].astype(str)))
    if (resource < 0).any():
        row = int(np.argmax(resource < 0))
        message = f"{w['resource'].iloc[row]!r} is not in resources"
        raise InputError(message, table="workforce", column="resource", row=row)
    out: dict[str, np.ndarray] = {"resource": resource.astype(int)}
    # An empty or absent bound does not bind: no floor, no ceiling.
    fills = dict.fromkeys(WORKFORCE_COLUMNS, 0.0) | {"min_headcount": 0.0, "max_headcount": np.inf}
    for c, fill in fills.items():
        out[c] = numeric(w, c, "workforce", default=fill, allow_negative=False).to_numpy()
    return out


def policies(
    tables: dict[str, pd.DataFrame],
    key: pd.MultiIndex,
    demand: np.ndarray,
    months: pd.DatetimeIndex,
) -> dict[str, np.ndarray]:
    """Inventory policies on the node grid.

    Safety stock: ``fixed`` and ``service_level`` use the ``safety_stock`` column (the inventory
    engine computes service-level stocks); ``days_of_supply`` covers that many days of the
    month's demand.
    """
    n, t = demand.shape
    out = {
        "safety_stock": np.zeros((n, t)),
        "min_inventory": np.zeros((n, t)),
        "max_inventory": np.full((n, t), np.inf),
        "max_backlog_periods": np.full(n, -1, dtype=int),
        "ending_inventory": np.zeros(n),
    }
    p = tables.get("inventory_policies")
    if p is None or p.empty:
        return out
    require_columns(p, ["item", "location"], "inventory_policies")
    rows = key.get_indexer(pd.MultiIndex.from_frame(p[["item", "location"]].astype(str)))

    def col(name: str, fill: float) -> np.ndarray:
        values = numeric(p, name, "inventory_policies", default=fill, allow_negative=False)
        return values.to_numpy()

    method = p["method"].astype(str).to_numpy() if "method" in p else np.full(len(p), "fixed")
    days = col("days_of_supply", 0.0)
    per_day = demand[rows] / months.days_in_month.to_numpy()[None, :]
    by_days = days[:, None] * per_day
    fixed = np.repeat(col("safety_stock", 0.0)[:, None], t, axis=1)
    out["safety_stock"][rows] = np.where((method == "days_of_supply")[:, None], by_days, fixed)
    out["min_inventory"][rows] = col("min_inventory", 0.0)[:, None]
    out["max_inventory"][rows] = col("max_inventory", np.inf)[:, None]
    out["max_backlog_periods"][rows] = col("max_backlog_periods", -1.0).astype(int)
    out["ending_inventory"][rows] = col("ending_inventory", 0.0)
    return out


def lanes(tables: dict[str, pd.DataFrame], nodes: pd.DataFrame) -> dict[str, np.ndarray]:
    """Transfer arcs: one per lane and item stocked at both ends."""
    lane = tables.get("lanes")
    empty = {
        "from": np.array([], int),
        "to": np.array([], int),
        "lead": np.array([], int),
        "cost": np.array([]),
    }
    if lane is None or lane.empty:
        return empty
    require_columns(
        lane, ["from_location", "to_location", "lead_time_periods", "cost_per_unit"], "lanes"
    )
    lead = numeric(lane, "lead_time_periods", "lanes", default=0.0, allow_negative=False)
    cost = numeric(lane, "cost_per_unit", "lanes", default=0.0, allow_negative=False)
    lane = lane.assign(
        from_location=lane["from_location"].astype(str),
        to_location=lane["to_location"].astype(str),
        lead=lead.astype(int),
        cost=cost,
    )
    ends = nodes.assign(node=np.arange(len(nodes)))
    arcs = lane.merge(ends, left_on="from_location", right_on="location").merge(
        ends,
        left_on=["to_location", "item"],
        right_on=["location", "item"],
        suffixes=("_from", "_to"),
    )
    return {
        "from": arcs["node_from"].to_numpy(int),
        "to": arcs["node_to"].to_numpy(int),
        "lead": arcs["lead"].to_numpy(int),
        "cost": arcs["cost"].to_numpy(float),
    }
