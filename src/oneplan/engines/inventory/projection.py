"""Projected inventory per item x location x period from a supply and a demand plan.

The balance is net inventory: ``net[t] = on_hand[start] + sum(supply[..t]) - sum(demand[..t])``.
Positive net inventory is on hand; negative is backlog (demand owed to customers, shipped as
soon as supply arrives). One cumulative sum per pair: no loop over periods.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
import pandas as pd

from oneplan.engines.frames import month_starts, require_columns
from oneplan.engines.inventory.safety_stock import (
    KEYS,
    days_in_periods,
    demand_matrix,
    forward_daily_demand,
)


def _pairs(*frames: pd.DataFrame | None) -> pd.DataFrame:
    keys = [f[KEYS] for f in frames if f is not None and len(f)]
    if not keys:
        return pd.DataFrame(columns=KEYS)
    union = pd.concat(keys, ignore_index=True).drop_duplicates()
    return union.sort_values(KEYS).reset_index(drop=True)


def project_inventory(
    start_inventory: pd.DataFrame,
    supply: pd.DataFrame,
    demand: pd.DataFrame,
    safety_stock: pd.DataFrame,
    *,
    periods: object | None = None,
    policies: pd.DataFrame | None = None,
    forward_periods: int = 3,
    days_per_month: float | Literal["calendar"] = "calendar",
) -> pd.DataFrame:
    """Project on hand, backlog and days of supply, and flag breaches of the policy.

    start_inventory: ``item, location, on_hand`` (on hand before the first period).
    supply: ``item, location, period, quantity`` (receipts available in the period).
    demand: ``item, location, period, quantity``.
    safety_stock: ``item, location, period, safety_stock`` (as `safety_stock()` returns).
    policies: optional ``item, location, max_inventory`` for the `above_max` flag.
    periods: the horizon; defaults to every period found in supply and demand.

    Returns ``item, location, period, supply, demand, net_inventory, projected_on_hand, backlog,
    safety_stock, max_inventory, days_of_supply, below_safety_stock, above_max``.
    ``days_of_supply`` = projected on hand / average demand per day over the next
    `forward_periods` periods (inf when on hand covers a future without demand).

    >>> start = pd.DataFrame({"item": ["A"], "location": ["P1"], "on_hand": [100.0]})
    >>> sup = pd.DataFrame({"item": ["A"] * 2, "location": ["P1"] * 2,
    ...                     "period": ["2027-01", "2027-02"], "quantity": [0.0, 150.0]})
    >>> dem = sup.assign(quantity=[120.0, 60.0])
    >>> ss = sup.assign(safety_stock=[20.0, 20.0]).drop(columns="quantity")
    >>> out = project_inventory(start, sup, dem, ss)
    >>> out[["projected_on_hand", "backlog", "below_safety_stock"]].values.tolist()
    [[0.0, 20.0, True], [70.0, 0.0, False]]
    """
    require_columns(start_inventory, [*KEYS, "on_hand"], "start_inventory")
    require_columns(supply, [*KEYS, "period", "quantity"], "supply")
    require_columns(safety_stock, [*KEYS, "period", "safety_stock"], "safety_stock")
    require_columns(demand, [*KEYS, "period", "quantity"], "demand")
    if periods is None:
        periods = pd.concat([supply["period"], demand["period"]], ignore_index=True)
    per = month_starts(periods, table="arguments", column="periods")
    per = per.drop_duplicates().sort_values().reset_index(drop=True)
    pairs = _pairs(start_inventory, supply, demand, safety_stock)
    n_pairs, n_per = len(pairs), len(per)

    supplied = demand_matrix(supply, pairs, per)
    required = demand_matrix(demand, pairs, per)
    target = demand_matrix(safety_stock.rename(columns={"safety_stock": "quantity"}), pairs, per)
    on_hand = pairs.merge(
        start_inventory.groupby(KEYS, as_index=False)["on_hand"].sum(), on=KEYS, how="left"
    )["on_hand"].fillna(0.0)

    net = on_hand.to_numpy(dtype=float)[:, None] + np.cumsum(supplied - required, axis=1)
    projected = np.maximum(net, 0.0)
    backlog = np.maximum(-net, 0.0)

    # End-of-period stock covers the demand of the periods that follow.
    days = days_in_periods(per, days_per_month)
    rate = forward_daily_demand(required, days, forward_periods, start=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        cover = np.where(rate > 0, projected / np.where(rate > 0, rate, 1.0), np.inf)
    cover = np.where(projected > 0, cover, 0.0)

    ceiling = np.full(n_pairs, np.nan)
    if policies is not None and "max_inventory" in policies.columns:
        limits = pairs.merge(policies[[*KEYS, "max_inventory"]], on=KEYS, how="left")
        ceiling = pd.to_numeric(limits["max_inventory"], errors="coerce").to_numpy(dtype=float)
    ceiling_grid = np.repeat(ceiling[:, None], n_per, 1)
    tolerance = 1e-9
    return pd.DataFrame(
        {
            "item": np.repeat(pairs["item"].to_numpy(), n_per),
            "location": np.repeat(pairs["location"].to_numpy(), n_per),
            "period": np.tile(per.to_numpy(), n_pairs),
            "supply": supplied.ravel(),
            "demand": required.ravel(),
            "net_inventory": net.ravel(),
            "projected_on_hand": projected.ravel(),
            "backlog": backlog.ravel(),
            "safety_stock": target.ravel(),
            "max_inventory": ceiling_grid.ravel(),
            "days_of_supply": cover.ravel(),
            "below_safety_stock": (projected < target - tolerance).ravel(),
            "above_max": (projected > ceiling_grid + tolerance).ravel(),
        }
    )
