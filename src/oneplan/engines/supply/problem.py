"""The supply problem: typed per-period arrays resolved from the data-package tables.

A *node* is one item at one location (the place where inventory is kept and demand is met);
every node-level array has shape ``(nodes, periods)`` or ``(nodes,)``.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from oneplan.engines.frames import (
    month_starts,
    numeric,
    parameter_number,
    parameters,
    require_columns,
)
from oneplan.engines.supply.tables import (
    capacities,
    effective_dated,
    lanes,
    node_frame,
    policies,
    routings,
    workforce,
    working_time,
)
from oneplan.errors import InputError

__all__ = ["SupplyProblem", "default_penalty", "money_scale", "problem_from_tables"]

DEFAULT_RELAXATION_PENALTY = 1.0e6
"""Least cost per unit (or hour, or worker) of breaking a hard limit; far above any real cost."""
PENALTY_PER_COST = 1.0e4
"""The default penalty is at least this many times the problem's largest money per unit."""


def money_scale(p: SupplyProblem) -> float:
    """The largest amount of money per unit in the problem: a cost, a price, a lane.

    >>> t = {"demand": pd.DataFrame({"item": ["A"], "location": "P", "period": "2027-01",
    ...      "quantity": [1.0]}), "item_costs": pd.DataFrame({"item": ["A"], "location": "P",
    ...      "valid_from": "2027-01", "material_cost": [800_000.0], "backlog_cost": [9_000.0]})}
    >>> money_scale(problem_from_tables(t, ["2027-01"]))
    800000.0
    """
    per_unit = (
        p.material_cost + p.unit_labour_cost,
        p.holding_cost,
        p.backlog_cost,
        p.lost_sales_cost,
        p.subcontract_cost,
        p.price,
        p.arc_cost,
    )
    largest = [float(np.nanmax(a, initial=0.0)) for a in per_unit if a.size]
    return max(largest, default=0.0)


NOMINAL_OVERTIME_SHARE = 1.0e-3
"""Without a machine overtime cost, an hour costs this share of the largest money per unit."""


def default_overtime_cost(p: SupplyProblem) -> float:
    """The cost of a machine overtime hour when none is given: a nominal thousandth of the
    problem's largest money per unit. Free overtime would be used at random (the solver has no
    reason to prefer regular hours); a nominal price keeps it for months that need it."""
    return NOMINAL_OVERTIME_SHARE * money_scale(p)


def default_penalty(p: SupplyProblem) -> float:
    """The relaxation penalty when none is given: 1,000,000, or ten thousand times the
    problem's largest money per unit when that is more, so that breaking a limit stays far
    dearer than any business decision in plain currency too (an engine at 1.1 M a unit)."""
    return max(DEFAULT_RELAXATION_PENALTY, PENALTY_PER_COST * money_scale(p))


@dataclass(frozen=True)
class SupplyProblem:
    """Everything the supply LP needs, as aligned numpy arrays.

    Node arrays are indexed ``[node, period]``; resource arrays ``[resource, period]``;
    labour-pool arrays ``[pool]``; routing and lane arrays are flat edge lists.
    Missing limits are encoded as ``0`` (lower limits) or ``inf`` (upper limits); a missing
    cost that forbids a decision (subcontracting, lost sales) is ``nan``.
    """

    periods: pd.DatetimeIndex
    node_item: np.ndarray
    node_location: np.ndarray
    demand: np.ndarray
    on_hand: np.ndarray
    start_backlog: np.ndarray
    material_cost: np.ndarray
    unit_labour_cost: np.ndarray
    holding_cost: np.ndarray
    backlog_cost: np.ndarray
    lost_sales_cost: np.ndarray
    subcontract_cost: np.ndarray
    subcontract_limit: np.ndarray
    price: np.ndarray
    producible: np.ndarray
    safety_stock: np.ndarray
    min_inventory: np.ndarray
    max_inventory: np.ndarray
    max_backlog_periods: np.ndarray
    ending_inventory: np.ndarray
    resource_code: np.ndarray
    resource_kind: np.ndarray
    capacity: np.ndarray
    overtime_hours: np.ndarray
    routing_node: np.ndarray
    routing_resource: np.ndarray
    routing_usage: np.ndarray
    pool_resource: np.ndarray
    headcount: np.ndarray
    hours_per_worker: np.ndarray
    regular_wage: np.ndarray
    overtime_wage: np.ndarray
    overtime_limit: np.ndarray
    hiring_cost: np.ndarray
    layoff_cost: np.ndarray
    min_headcount: np.ndarray
    max_headcount: np.ndarray
    arc_from: np.ndarray
    arc_to: np.ndarray
    arc_lead: np.ndarray
    arc_cost: np.ndarray
    working_time: np.ndarray = field(default_factory=lambda: np.ones((0, 0)))
    """Per labour pool and month, the share of ``hours_per_worker`` (and of the overtime limit)
    a worker gives: 0.7 in a holiday month, 0 in a shutdown; left empty, 1.0 everywhere."""
    item_family: dict[str, str] = field(default_factory=dict)
    zero_ending_backlog: bool = False
    machine_overtime_cost: float = 0.0
    relaxation_penalty: float = DEFAULT_RELAXATION_PENALTY
    currency: str = ""

    @property
    def n_nodes(self) -> int:
        return int(self.node_item.size)

    @property
    def n_periods(self) -> int:
        return int(self.periods.size)

    @property
    def period_labels(self) -> np.ndarray:
        """Periods as ``YYYY-MM`` strings, the planner's way of naming a month."""
        return np.asarray(self.periods.strftime("%Y-%m"), dtype=object)

    @property
    def worker_hours(self) -> np.ndarray:
        """Regular hours one worker of each pool gives in each month."""
        return np.asarray(self.hours_per_worker[:, None] * self.working_time, float)

    @property
    def worker_overtime(self) -> np.ndarray:
        """Overtime hours one worker of each pool may work in each month."""
        return np.asarray(self.overtime_limit[:, None] * self.working_time, float)

    def __post_init__(self) -> None:
        if self.working_time.size == 0:
            ordinary = np.ones((self.pool_resource.size, self.n_periods))
            object.__setattr__(self, "working_time", ordinary)
        shape = (self.n_nodes, self.n_periods)
        for name in ("demand", "material_cost", "holding_cost", "backlog_cost", "price"):
            if getattr(self, name).shape != shape:  # arrays built apart from their grid: a bug
                raise ValueError(f"{name}: expected shape {shape}")
        if (self.demand < 0).any():
            raise InputError("has a negative quantity", table="demand", column="quantity")


def _periods(params: dict[str, str], periods: object) -> pd.DatetimeIndex:
    if isinstance(periods, pd.DatetimeIndex | Sequence) and not isinstance(periods, str):
        return pd.DatetimeIndex(month_starts(list(periods), table="arguments", column="periods"))
    start = params.get("plan_start")
    horizon = periods if isinstance(periods, int) else params.get("horizon_periods")
    if start is None or horizon is None:
        missing = "plan_start" if start is None else "horizon_periods"
        raise InputError(f"{missing} is needed when no periods are given", table="parameters")
    if not isinstance(horizon, int):
        horizon = int(parameter_number(params, "horizon_periods", 0.0))
    first = month_starts([start], table="parameters", column="value", required=True).iloc[0]
    return pd.date_range(first, periods=horizon, freq="MS")


def problem_from_tables(tables: dict[str, pd.DataFrame], periods: object = None) -> SupplyProblem:
    """Resolve data-package tables into a :class:`SupplyProblem`.

    ``periods`` is a list of months, an int horizon counted from ``parameters.plan_start``,
    or ``None`` (``plan_start`` and ``horizon_periods`` from ``parameters``).

    >>> t = {"demand": pd.DataFrame({"item": ["A"], "location": ["P"],
    ...      "period": ["2027-01"], "quantity": [5.0]})}
    >>> p = problem_from_tables(t, ["2027-01"])
    >>> p.demand.tolist(), bool(p.producible[0])
    ([[5.0]], True)
    """
    params = parameters(tables.get("parameters"))
    months = _periods(params, periods)
    nodes = node_frame(tables)
    n_nodes, n_periods = len(nodes), len(months)
    key = pd.MultiIndex.from_frame(nodes[["item", "location"]])

    def grid(frame: pd.DataFrame, value: str, fill: float) -> np.ndarray:
        """Pivot (item, location, period, value) rows onto the node x period grid."""
        out = np.full((n_nodes, n_periods), fill)
        if frame.empty:
            return out
        rows = key.get_indexer(pd.MultiIndex.from_frame(frame[["item", "location"]]))
        cols = months.get_indexer(pd.DatetimeIndex(frame["period"]))
        ok = (rows >= 0) & (cols >= 0)
        out[rows[ok], cols[ok]] = frame[value].to_numpy(float)[ok]
        return out

    demand = np.zeros((n_nodes, n_periods))
    if (raw := tables.get("demand")) is not None and len(raw):
        require_columns(raw, ["item", "location", "period", "quantity"], "demand")
        rows_in = raw.assign(
            item=raw["item"].astype(str),
            location=raw["location"].astype(str),
            period=month_starts(raw["period"], table="demand", required=True),
            quantity=numeric(raw, "quantity", "demand", allow_negative=False),
        )
        summed = rows_in.groupby(["item", "location", "period"])["quantity"].sum()
        demand = grid(summed.reset_index(), "quantity", 0.0)

    on_hand = np.zeros(n_nodes)
    start_backlog = np.zeros(n_nodes)
    if (inv := tables.get("inventory")) is not None and len(inv):
        require_columns(inv, ["item", "location", "on_hand"], "inventory")
        rows = key.get_indexer(pd.MultiIndex.from_frame(inv[["item", "location"]].astype(str)))
        stock = numeric(inv, "on_hand", "inventory", allow_negative=False)
        np.add.at(on_hand, rows, stock.to_numpy())
        owed = numeric(inv, "backlog", "inventory", default=0.0, allow_negative=False)
        np.add.at(start_backlog, rows, owed.to_numpy())
    if (orders := tables.get("customer_orders")) is not None and len(orders):
        columns = ["item", "location", "quantity", "requested_date"]
        require_columns(orders, columns, "customer_orders")
        # A day before the first plan month lies in a month before it.
        asked = month_starts(orders["requested_date"], table="customer_orders")
        late = (asked < months[0]).to_numpy()
        quantity = numeric(orders, "quantity", "customer_orders", allow_negative=False)
        o = orders[late]
        rows = key.get_indexer(pd.MultiIndex.from_frame(o[["item", "location"]].astype(str)))
        np.add.at(start_backlog, rows, quantity.to_numpy()[late])

    # Standard costs, effective-dated per node and month.
    cost_cols = ["material_cost", "labour_cost", "holding_cost", "backlog_cost", "lost_sales_cost"]
    cost_cols += ["subcontract_cost", "subcontract_limit"]
    costs = effective_dated(
        tables.get("item_costs"), "item_costs", ["item", "location"], cost_cols, nodes, months
    )

    price = np.full((n_nodes, n_periods), np.nan)
    if (pr := tables.get("prices")) is not None and len(pr):
        require_columns(pr, ["item", "channel", "valid_from", "price"], "prices")
        pr = pr[pr["channel"].astype(str) == "all"]
        terms = effective_dated(pr, "prices", ["item"], ["price", "rebate"], nodes, months)
        # A sale earns the list price net of its expected rebate (empty: none).
        price = terms["price"] * (1.0 - np.nan_to_num(terms["rebate"]))

    res = capacities(tables, months)
    route = routings(tables, key, res["code"])
    pools = workforce(tables, res["code"])
    pol = policies(tables, key, demand, months)
    arcs = lanes(tables, nodes)

    routed_items = set(nodes["item"].to_numpy()[route["node"]])
    has_route = np.zeros(n_nodes, bool)
    has_route[route["node"]] = True
    inbound = np.zeros(n_nodes, bool)
    inbound[arcs["to"]] = True
    # An item with no routing anywhere is made without a capacity limit where it is not supplied
    # by a lane, so a plan still exists; the explanation calls this "no capacity defined".
    unrouted = ~nodes["item"].isin(routed_items).to_numpy()
    producible = has_route | (unrouted & ~inbound)

    # Labour already paid by a workforce pool's wages is not charged again per unit.
    pooled = np.isin(route["resource"], pools["resource"])
    pooled_node = np.zeros(n_nodes, bool)
    pooled_node[route["node"][pooled]] = True
    unit_labour = np.where(pooled_node[:, None], 0.0, np.nan_to_num(costs["labour_cost"]))

    sub_cost = costs["subcontract_cost"]
    sub_limit = np.where(
        np.isnan(sub_cost), 0.0, np.nan_to_num(costs["subcontract_limit"], nan=np.inf)
    )
    family = {}
    if (items := tables.get("items")) is not None and "family" in items:
        family = dict(zip(items["code"].astype(str), items["family"].astype(str), strict=True))
    flag = params.get("zero_ending_backlog", "false").strip().lower() in {"1", "true", "yes"}
    problem = SupplyProblem(
        periods=months,
        node_item=nodes["item"].to_numpy(object),
        node_location=nodes["location"].to_numpy(object),
        demand=demand,
        on_hand=on_hand,
        start_backlog=start_backlog,
        material_cost=np.nan_to_num(costs["material_cost"]),
        unit_labour_cost=unit_labour,
        holding_cost=np.nan_to_num(costs["holding_cost"]),
        backlog_cost=np.nan_to_num(costs["backlog_cost"]),
        lost_sales_cost=costs["lost_sales_cost"],
        subcontract_cost=sub_cost,
        subcontract_limit=sub_limit,
        price=price,
        producible=producible,
        safety_stock=pol["safety_stock"],
        min_inventory=pol["min_inventory"],
        max_inventory=pol["max_inventory"],
        max_backlog_periods=pol["max_backlog_periods"],
        ending_inventory=pol["ending_inventory"],
        resource_code=res["code"],
        resource_kind=res["kind"],
        capacity=res["capacity"],
        overtime_hours=res["overtime"],
        routing_node=route["node"],
        routing_resource=route["resource"],
        routing_usage=route["usage"],
        pool_resource=pools["resource"],
        headcount=pools["headcount"],
        hours_per_worker=pools["hours_per_worker"],
        regular_wage=pools["regular_wage"],
        overtime_wage=pools["overtime_wage"],
        overtime_limit=pools["overtime_limit_per_worker"],
        hiring_cost=pools["hiring_cost"],
        layoff_cost=pools["layoff_cost"],
        min_headcount=pools["min_headcount"],
        max_headcount=pools["max_headcount"],
        working_time=working_time(res, pools, tables),
        arc_from=arcs["from"],
        arc_to=arcs["to"],
        arc_lead=arcs["lead"],
        arc_cost=arcs["cost"],
        item_family=family,
        zero_ending_backlog=flag,
        machine_overtime_cost=parameter_number(params, "machine_overtime_cost", np.nan),
        relaxation_penalty=parameter_number(params, "relaxation_penalty", np.nan),
        currency=params.get("currency", ""),
    )
    # Settings not given follow the problem's own money (see the two functions).
    penalty, overtime = problem.relaxation_penalty, problem.machine_overtime_cost
    return dataclasses.replace(
        problem,
        relaxation_penalty=default_penalty(problem) if np.isnan(penalty) else penalty,
        machine_overtime_cost=default_overtime_cost(problem) if np.isnan(overtime) else overtime,
    )
