"""Reading the data-package tables the supply plan needs: checks and per-table resolution."""

from __future__ import annotations

import numpy as np
import pandas as pd

NODE_TABLES = ("demand", "inventory", "routings", "item_costs", "inventory_policies")


class SupplyInputError(ValueError):
    """A supply input table is malformed; the message names the table and column."""


def require(frame: pd.DataFrame, table: str, columns: list[str]) -> None:
    """Raise when ``frame`` lacks any of ``columns``."""
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise SupplyInputError(f"{table}: missing column(s) {', '.join(missing)}")


def numeric(
    frame: pd.DataFrame, table: str, column: str, *, allow_negative: bool = False
) -> pd.Series:
    """The column as floats (empty cells become nan); text or negative values raise."""
    values = pd.to_numeric(frame[column].replace("", np.nan), errors="coerce")
    bad = values.isna() & frame[column].notna() & (frame[column].astype(str).str.strip() != "")
    if bad.any():
        raise SupplyInputError(f"{table}.{column}: not a number in row {int(np.argmax(bad))}")
    if not allow_negative and (values < 0).any():
        raise SupplyInputError(
            f"{table}.{column}: negative value in row {int(np.argmax(values < 0))}"
        )
    return values.astype(float)


def month_starts(values: pd.Series) -> pd.Series:
    """Dates or ``YYYY-MM`` strings to the first day of their month."""
    try:
        dates = pd.Series(pd.to_datetime(values.astype(str), format="mixed"), index=values.index)
    except (ValueError, TypeError) as err:
        raise SupplyInputError(f"period: not a date ({err})") from err
    return pd.Series(dates.dt.to_period("M").dt.to_timestamp(), index=values.index)


def node_frame(tables: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """All (item, location) pairs named by any node-level table, sorted."""
    parts = []
    for name in NODE_TABLES:
        frame = tables.get(name)
        if frame is not None and len(frame):
            require(frame, name, ["item", "location"])
            parts.append(frame[["item", "location"]].astype(str))
    if not parts:
        raise SupplyInputError("demand: no item/location rows in any table")
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
    out = {c: np.full((len(nodes), len(months)), np.nan) for c in columns}
    if frame is None or frame.empty:
        return out
    require(frame, table, [*keys, "valid_from"])
    right = frame[[*keys]].astype(str)
    right["valid_from"] = month_starts(frame["valid_from"]).to_numpy()
    for c in columns:
        right[c] = numeric(frame, table, c) if c in frame else np.nan
    if right.duplicated([*keys, "valid_from"]).any():
        raise SupplyInputError(f"{table}: duplicate ({', '.join(keys)}, valid_from) rows")
    left = nodes.assign(node=np.arange(len(nodes))).merge(
        pd.DataFrame({"period": months, "col": np.arange(len(months))}), how="cross"
    )
    left = left.sort_values("period")
    right = right.sort_values("valid_from")
    back = pd.merge_asof(left, right, left_on="period", right_on="valid_from", by=keys)
    fwd = pd.merge_asof(
        left, right, left_on="period", right_on="valid_from", by=keys, direction="forward"
    )
    early = back["valid_from"].isna().to_numpy()
    rows, cols = back["node"].to_numpy(), back["col"].to_numpy()
    for c in columns:
        values = np.where(early, fwd[c].to_numpy(float), back[c].to_numpy(float))
        out[c][rows, cols] = values
    return out


def capacities(tables: dict[str, pd.DataFrame], months: pd.DatetimeIndex) -> dict[str, np.ndarray]:
    """Per resource and month: capacity (base, overridden by ``resource_capacity``) and overtime."""
    res = tables.get("resources")
    if res is None or res.empty:
        empty = np.zeros((0, len(months)))
        return {
            "code": np.array([], object),
            "kind": np.array([], object),
            "capacity": empty,
            "overtime": empty.copy(),
        }
    require(res, "resources", ["code", "kind", "capacity_per_period"])
    codes = res["code"].astype(str)
    if codes.duplicated().any():
        raise SupplyInputError(f"resources.code: duplicate {codes[codes.duplicated()].iloc[0]}")
    kinds = res["kind"].astype(str)
    if not kinds.isin(["machine", "labour", "supplier"]).all():
        raise SupplyInputError("resources.kind: must be machine, labour or supplier")
    base = numeric(res, "resources", "capacity_per_period").fillna(0).to_numpy()
    capacity = np.repeat(base[:, None], len(months), axis=1)
    overtime = np.zeros_like(capacity)
    if "overtime_per_period" in res:
        extra = numeric(res, "resources", "overtime_per_period").fillna(0).to_numpy()
        overtime += np.where(kinds.to_numpy() == "machine", extra, 0.0)[:, None]
    over = tables.get("resource_capacity")
    if over is not None and len(over):
        require(over, "resource_capacity", ["resource", "period", "capacity"])
        rows = pd.Index(codes).get_indexer(pd.Index(over["resource"].astype(str)))
        if (rows < 0).any():
            raise SupplyInputError("resource_capacity.resource: unknown resource")
        cols = months.get_indexer(pd.DatetimeIndex(month_starts(over["period"])))
        ok = cols >= 0
        capacity[rows[ok], cols[ok]] = numeric(over, "resource_capacity", "capacity").to_numpy()[ok]
        # A machine the calendar shuts down for a month (capacity 0) runs no overtime either.
        shut = capacity[rows[ok], cols[ok]] <= 0
        overtime[rows[ok][shut], cols[ok][shut]] = 0.0
    return {
        "code": codes.to_numpy(object),
        "kind": kinds.to_numpy(object),
        "capacity": capacity,
        "overtime": overtime,
    }


def routings(
    tables: dict[str, pd.DataFrame], key: pd.MultiIndex, codes: np.ndarray
) -> dict[str, np.ndarray]:
    """Routing edges: node index, resource index, usage per unit."""
    r = tables.get("routings")
    if r is None or r.empty:
        return {"node": np.array([], int), "resource": np.array([], int), "usage": np.array([])}
    require(r, "routings", ["item", "location", "resource", "usage_per_unit"])
    node = key.get_indexer(pd.MultiIndex.from_frame(r[["item", "location"]].astype(str)))
    resource = pd.Index(codes).get_indexer(pd.Index(r["resource"].astype(str)))
    if (resource < 0).any():
        bad = r["resource"].astype(str).to_numpy()[resource < 0][0]
        raise SupplyInputError(f"routings.resource: {bad} is not in resources")
    usage = numeric(r, "routings", "usage_per_unit").to_numpy()
    if (usage <= 0).any() or np.isnan(usage).any():
        raise SupplyInputError("routings.usage_per_unit: must be > 0")
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
    require(w, "workforce", ["resource", *WORKFORCE_COLUMNS])
    resource = pd.Index(codes).get_indexer(pd.Index(w["resource"].astype(str)))
    if (resource < 0).any():
        raise SupplyInputError("workforce.resource: not a labour resource in resources")
    out: dict[str, np.ndarray] = {"resource": resource.astype(int)}
    for c in WORKFORCE_COLUMNS:
        out[c] = numeric(w, "workforce", c).fillna(0).to_numpy()
    low = numeric(w, "workforce", "min_headcount") if "min_headcount" in w else None
    high = numeric(w, "workforce", "max_headcount") if "max_headcount" in w else None
    out["min_headcount"] = np.zeros(len(w)) if low is None else low.fillna(0).to_numpy()
    out["max_headcount"] = (
        np.full(len(w), np.inf) if high is None else high.fillna(np.inf).to_numpy()
    )
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
    require(p, "inventory_policies", ["item", "location"])
    rows = key.get_indexer(pd.MultiIndex.from_frame(p[["item", "location"]].astype(str)))

    def col(name: str, fill: float) -> np.ndarray:
        if name not in p:
            return np.full(len(p), fill)
        return numeric(p, "inventory_policies", name).fillna(fill).to_numpy()

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
    require(lane, "lanes", ["from_location", "to_location", "lead_time_periods", "cost_per_unit"])
    lane = lane.assign(
        from_location=lane["from_location"].astype(str),
        to_location=lane["to_location"].astype(str),
        lead=numeric(lane, "lanes", "lead_time_periods").fillna(0).astype(int),
        cost=numeric(lane, "lanes", "cost_per_unit").fillna(0),
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
