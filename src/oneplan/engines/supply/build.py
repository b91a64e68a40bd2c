"""Vectorised construction of the supply LP in whole blocks over item x location x period.

Columns (all >= 0): ``make``, ``subcontract``, ``inventory``, ``backlog``, ``lost_sales`` and
``safety_stock_shortfall`` per node and period; ``transfer`` per lane arc and ship period;
``machine_overtime`` and ``capacity_relaxation`` per resource and period; ``workforce``,
``hires``, ``layoffs``, ``overtime`` per labour pool and period; one penalised slack column per
soft or relaxable limit.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

import numpy as np

from oneplan.engines.supply.index import Block, ModelBuilder
from oneplan.engines.supply.problem import SupplyProblem

Objective = Literal["cost", "margin"]


@dataclass(frozen=True)
class SoftLimit:
    """A limit written as ``variable[pos] + slack >= bound`` (lower) or ``- slack <= bound``."""

    name: str
    grid: Literal["node", "pool"]
    positions: np.ndarray
    bound: np.ndarray
    rows: Block
    slack: Block
    relaxation: bool


@dataclass
class SupplyModel:
    """The built LP plus the coordinates needed to read its solution back."""

    problem: SupplyProblem
    builder: ModelBuilder
    objective: Objective
    unconstrained: bool
    soft: dict[str, SoftLimit] = field(default_factory=dict)
    capacity_resources: np.ndarray = field(default_factory=lambda: np.array([], int))
    unserved_at_end_cost: np.ndarray = field(default_factory=lambda: np.array([], float))

    def col(self, name: str) -> Block:
        return self.builder.columns[name]


def _soft(
    model: SupplyModel,
    name: str,
    variable: Block,
    mask: np.ndarray,
    bound: np.ndarray,
    *,
    lower: bool,
    penalty: float | np.ndarray,
    relaxation: bool = True,
) -> None:
    """Add a penalised limit on ``variable`` at the masked grid positions."""
    b = model.builder
    positions = np.flatnonzero(mask)
    if positions.size == 0:
        return
    values = np.broadcast_to(bound, mask.shape).ravel()[positions]
    cost = np.broadcast_to(penalty, mask.shape).ravel()[positions]
    slack = b.add_columns(f"{name}_slack", (positions.size,), cost=cost, penalty=relaxation)
    if lower:
        rows = b.add_rows(name, (positions.size,), lower=values)
    else:
        rows = b.add_rows(name, (positions.size,), upper=values)
    local = np.arange(positions.size)
    b.add_terms(rows, local, variable.index().ravel()[positions], 1.0)
    b.add_terms(rows, local, slack.index(), 1.0 if lower else -1.0)
    grid: Literal["node", "pool"] = "pool" if variable.name in POOL_BLOCKS else "node"
    model.soft[name] = SoftLimit(name, grid, positions, values, rows, slack, relaxation)


POOL_BLOCKS = {"workforce", "hires", "layoffs", "overtime"}


def _backlog_cap(p: SupplyProblem) -> np.ndarray:
    """Largest backlog allowed: demand of the last ``k`` periods (plus the opening backlog
    while it is still within ``k`` periods); ``k = 0`` forbids backlog."""
    k = np.maximum(p.max_backlog_periods, 0)[:, None]
    cum = np.concatenate([np.zeros((p.n_nodes, 1)), np.cumsum(p.demand, axis=1)], axis=1)
    t = np.arange(p.n_periods)[None, :]
    start = np.maximum(t + 1 - k, 0)
    window = np.take_along_axis(cum, t + 1 + 0 * k, 1) - np.take_along_axis(cum, start, 1)
    opening = np.where(t + 1 - k < 0, p.start_backlog[:, None], 0.0)
    return np.asarray(window + opening, float)


def unserved_at_end_cost(p: SupplyProblem, objective: Objective = "cost") -> np.ndarray:
    """Cost per unit of backlog still open in the last month, on top of that month's backlog
    cost: such an order is never delivered inside the plan, so it counts as a lost sale.

    The rate is ``lost_sales_cost``; where it is missing, the cost objective falls back to the
    price (the revenue the order would have brought), and with no price either to the standard
    cost plus one more month of backlog cost, so leaving an order open is never cheaper than
    making it at standard cost. Under the margin objective the price is already revenue never
    earned, so only ``lost_sales_cost`` is added. Zero with ``zero_ending_backlog`` (then the
    last month's backlog is a hard limit).

    >>> import pandas as pd
    >>> from oneplan.engines.supply import problem_from_tables
    >>> t = {"demand": pd.DataFrame({"item": ["A", "B", "C"], "location": "P",
    ...      "period": "2027-01", "quantity": 1.0}),
    ...      "item_costs": pd.DataFrame({"item": ["A", "B", "C"], "location": "P",
    ...      "valid_from": "2027-01", "material_cost": 10.0, "backlog_cost": 2.0,
    ...      "lost_sales_cost": [30.0, None, None]}),
    ...      "prices": pd.DataFrame({"item": ["B"], "channel": "all",
    ...      "valid_from": "2027-01", "price": [25.0]})}
    >>> unserved_at_end_cost(problem_from_tables(t, ["2027-01"])).tolist()
    [30.0, 25.0, 12.0]
    """
    if p.zero_ending_backlog or p.n_periods == 0:
        return np.zeros(p.n_nodes)
    lost = p.lost_sales_cost[:, -1]
    if objective == "margin":
        return np.asarray(np.nan_to_num(lost), float)
    standard = p.material_cost[:, -1] + p.unit_labour_cost[:, -1] + p.backlog_cost[:, -1]
    fallback = np.where(np.isnan(p.price[:, -1]), standard, p.price[:, -1])
    return np.asarray(np.where(np.isnan(lost), fallback, lost), float)


def first_supply_period(p: SupplyProblem) -> np.ndarray:
    """Per node, the first period anything made, subcontracted or shipped can reach it: the
    first period it may make or subcontract, else the earliest arrival over its lanes from a
    node that can be supplied (n_periods: never within the horizon).

    >>> import pandas as pd
    >>> from oneplan.engines.supply.problem import problem_from_tables
    >>> tables = {"demand": pd.DataFrame({"item": ["A"], "location": "D", "period": "2027-01",
    ...     "quantity": 1.0}), "routings": pd.DataFrame({"item": ["A"], "location": "P",
    ...     "resource": "M", "usage_per_unit": 1.0}), "resources": pd.DataFrame({"code": ["M"],
    ...     "kind": "machine", "location": "P", "capacity_per_period": 10.0}),
    ...     "lanes": pd.DataFrame({"from_location": ["P"], "to_location": "D",
    ...     "lead_time_periods": [1], "cost_per_unit": 0.0})}
    >>> p = problem_from_tables(tables, ["2027-01", "2027-02"])
    >>> dict(zip(p.node_location, first_supply_period(p).tolist()))
    {'D': 1, 'P': 0}
    """
    never = p.n_periods
    can = p.producible[:, None] | (np.broadcast_to(p.subcontract_limit, (p.n_nodes, never)) > 0)
    first = np.where(can.any(axis=1), np.argmax(can, axis=1), never).astype(np.int64)
    for _ in range(p.n_nodes):  # one pass per echelon of the network, never per item
        reach = first[p.arc_from] + p.arc_lead.astype(np.int64)
        nearer = first.copy()
        np.minimum.at(nearer, p.arc_to, reach)
        if (nearer == first).all():
            break
        first = nearer
    return np.minimum(first, never)


def build_model(
    p: SupplyProblem,
    *,
    objective: Objective = "cost",
    unconstrained: bool = False,
    integer_workforce: bool = False,
) -> SupplyModel:
    """Build the LP for ``p``; see the module docstring for the blocks."""
    b = ModelBuilder()
    m = SupplyModel(p, b, objective, unconstrained)
    n, t_len = p.n_nodes, p.n_periods
    grid = (n, t_len)
    t = np.arange(t_len)
    penalty = p.relaxation_penalty
    price = np.nan_to_num(p.price)
    margin = objective == "margin"

    make_cost = p.material_cost + p.unit_labour_cost
    make = b.add_columns(
        "make", grid, cost=make_cost, upper=np.where(p.producible, np.inf, 0.0)[:, None]
    )
    sub = b.add_columns(
        "subcontract", grid, cost=np.nan_to_num(p.subcontract_cost), upper=p.subcontract_limit
    )
    inv = b.add_columns("inventory", grid, cost=p.holding_cost)
    backlog_cost = p.backlog_cost.copy()
    # Backlog still open at the horizon end is never delivered inside the plan: it counts as
    # lost, else a plan would leave the last months unserved for one month's backlog cost.
    m.unserved_at_end_cost = unserved_at_end_cost(p, objective)
    backlog_cost[:, -1] += m.unserved_at_end_cost
    if margin:  # ... and, under the margin objective, as revenue never earned
        backlog_cost[:, -1] += price[:, -1]
    # Backlog only ever holds demand that has come in: without this bound a plan could "owe"
    # phantom units while stock sits on the shelf to meet a minimum.
    owed = p.start_backlog[:, None] + np.cumsum(p.demand, axis=1)
    backlog = b.add_columns("backlog", grid, cost=backlog_cost, upper=owed)
    # An empty lost-sales cost says the demand cannot be lost (under either objective): it is
    # delivered late, or, when even that is impossible, a limit gives and the plan says so.
    lost_allowed = ~np.isnan(p.lost_sales_cost)
    lost_cost = np.nan_to_num(p.lost_sales_cost) + (price if margin else 0.0)
    lost = b.add_columns(
        "lost_sales", grid, cost=lost_cost, upper=np.where(lost_allowed, p.demand, 0.0)
    )
    _owed_or_lost(m, backlog, lost)
    arcs = p.arc_from.size
    arrival = t[None, :] + p.arc_lead[:, None]
    ship = b.add_columns(
        "transfer",
        (arcs, t_len),
        cost=p.arc_cost[:, None],
        upper=np.where(arrival < t_len, np.inf, 0.0),
    )

    # Inventory balance: inv - backlog - (inv - backlog)[t-1] - make - sub - arrivals
    # + departures - lost = -demand (opening stock and backlog enter the first period's bound).
    rhs = -p.demand.copy()
    rhs[:, 0] += p.on_hand - p.start_backlog
    bal = b.add_rows("balance", grid, lower=rhs, upper=rhs)
    b.add_grid_terms(bal, inv, 1.0)
    b.add_grid_terms(bal, backlog, -1.0)
    nxt = (np.arange(n)[:, None] * t_len + t[None, :-1] + 1).ravel()
    b.add_terms(bal, nxt, inv.index()[:, :-1], -1.0)
    b.add_terms(bal, nxt, backlog.index()[:, :-1], 1.0)
    for col in (make, sub, lost):
        b.add_grid_terms(bal, col, -1.0)
    ok = arrival < t_len
    b.add_terms(bal, (p.arc_from[:, None] * t_len + t[None, :]), ship.index(), 1.0)
    b.add_terms(bal, (p.arc_to[:, None] * t_len + arrival)[ok], ship.index()[ok], -1.0)

    _resources(m, integer_workforce)

    ss_penalty = np.maximum(p.backlog_cost, p.holding_cost).astype(float)
    # Stock short of its safety stock at the horizon end is rebuilt the month after at the cost
    # to make it; priced at a month's backlog cost alone, a plan runs its stock down in the last
    # months because nothing inside the horizon needs it any more.
    ss_penalty[:, -1] += np.nan_to_num(make_cost[:, -1]) if t_len else 0.0
    _soft(
        m,
        "safety_stock",
        inv,
        p.safety_stock > 0,
        p.safety_stock,
        lower=True,
        penalty=ss_penalty,
        relaxation=False,
    )
    # A minimum binds from the first month supply can reach the stock point: before it only the
    # opening stock can meet it, and no plan could do better than what the data allows.
    reachable = t[None, :] >= first_supply_period(p)[:, None]
    _soft(
        m,
        "min_inventory",
        inv,
        (p.min_inventory > 0) & reachable,
        p.min_inventory,
        lower=True,
        penalty=penalty,
    )
    _soft(
        m,
        "max_inventory",
        inv,
        np.isfinite(p.max_inventory),
        p.max_inventory,
        lower=False,
        penalty=penalty,
    )
    last = np.zeros(grid, bool)
    last[:, -1] = True
    _soft(
        m,
        "ending_inventory",
        inv,
        last & (p.ending_inventory > 0)[:, None],
        p.ending_inventory[:, None],
        lower=True,
        penalty=penalty,
    )
    capped = np.broadcast_to((p.max_backlog_periods >= 0)[:, None], grid)
    _soft(m, "max_backlog", backlog, capped, _backlog_cap(p), lower=False, penalty=penalty)
    if p.zero_ending_backlog:
        _soft(m, "ending_backlog", backlog, last, np.zeros(grid), lower=False, penalty=penalty)
    return m


def _owed_or_lost(m: SupplyModel, backlog: Block, lost: Block) -> None:
    """What a month ends owing or has lost is at most what was owed before it plus its demand:
    backlog[t] + lost[t] - backlog[t-1] <= demand[t]. Without it a plan could "lose" sales
    nobody ordered while still owing every order, and so raise its stock for free of the
    capacity it lacks. Rows only for stock points with demand or an opening backlog."""
    p, b = m.problem, m.builder
    t_len = p.n_periods
    nodes = np.flatnonzero((p.demand.sum(axis=1) > 0) | (p.start_backlog > 0))
    if nodes.size == 0 or t_len == 0:
        return
    limit = p.demand[nodes].copy()
    limit[:, 0] += p.start_backlog[nodes]
    rows = b.add_rows("owed_or_lost", (nodes.size, t_len), upper=limit)
    local = np.arange(rows.size)
    for column in (backlog, lost):
        b.add_terms(rows, local, column.index()[nodes].ravel(), 1.0)
    earlier = (np.arange(nodes.size)[:, None] * t_len + np.arange(1, t_len)[None, :]).ravel()
    b.add_terms(rows, earlier, backlog.index()[nodes][:, :-1].ravel(), -1.0)


def _resources(m: SupplyModel, integer_workforce: bool) -> None:
    """Machine and supplier capacity rows, labour-pool rows and workforce dynamics."""
    p, b = m.problem, m.builder
    t_len = p.n_periods
    t = np.arange(t_len)
    make = m.col("make")
    r_count, pools = p.resource_code.size, p.pool_resource.size
    pooled = np.zeros(r_count, bool)
    pooled[p.pool_resource] = True
    plain = np.flatnonzero(~pooled)
    m.capacity_resources = plain
    penalty = p.relaxation_penalty

    # usage[m] * make[node[m], t] placed in row (resource slot, t) of a block.
    def usage_terms(rows: Block, slot_of_resource: np.ndarray) -> None:
        keep = slot_of_resource[p.routing_resource] >= 0
        slot = slot_of_resource[p.routing_resource][keep]
        local = slot[:, None] * t_len + t[None, :]
        cols = make.index()[p.routing_node[keep]]
        b.add_terms(rows, local, cols, np.repeat(p.routing_usage[keep], t_len))

    if plain.size:
        overtime_hours = p.overtime_hours[plain]
        ot = b.add_columns(
            "machine_overtime",
            (plain.size, t_len),
            cost=p.machine_overtime_cost,
            upper=overtime_hours,
        )
        slack = b.add_columns(
            "capacity_relaxation", (plain.size, t_len), cost=penalty, penalty=True
        )
        if not m.unconstrained:
            cap = b.add_rows("capacity", (plain.size, t_len), upper=p.capacity[plain])
            slot = np.full(r_count, -1)
            slot[plain] = np.arange(plain.size)
            usage_terms(cap, slot)
            b.add_grid_terms(cap, ot, -1.0)
            b.add_grid_terms(cap, slack, -1.0)
    if not pools:
        return
    shape = (pools, t_len)
    hpw = p.hours_per_worker[:, None]
    work = b.add_columns(
        "workforce", shape, cost=p.regular_wage[:, None] * hpw, integer=integer_workforce
    )
    hires = b.add_columns("hires", shape, cost=p.hiring_cost[:, None], integer=integer_workforce)
    layoffs = b.add_columns(
        "layoffs", shape, cost=p.layoff_cost[:, None], integer=integer_workforce
    )
    overtime = b.add_columns("overtime", shape, cost=p.overtime_wage[:, None])
    slack = b.add_columns("labour_relaxation", shape, cost=penalty, penalty=True)
    if not m.unconstrained:
        # Hours used <= workforce x regular hours + overtime hours (+ relaxation).
        hours = b.add_rows("labour_hours", shape, upper=0.0)
        slot = np.full(r_count, -1)
        slot[p.pool_resource] = np.arange(pools)
        usage_terms(hours, slot)
        b.add_grid_terms(hours, work, -p.worker_hours.ravel())
        b.add_grid_terms(hours, overtime, -1.0)
        b.add_grid_terms(hours, slack, -1.0)
    limit = b.add_rows("overtime_limit", shape, upper=0.0)
    b.add_grid_terms(limit, overtime, 1.0)
    b.add_grid_terms(limit, work, -p.worker_overtime.ravel())
    rhs = np.zeros(shape)
    rhs[:, 0] = p.headcount
    flow = b.add_rows("workforce_balance", shape, lower=rhs, upper=rhs)
    b.add_grid_terms(flow, work, 1.0)
    b.add_grid_terms(flow, hires, -1.0)
    b.add_grid_terms(flow, layoffs, 1.0)
    nxt = (np.arange(pools)[:, None] * t_len + t[None, :-1] + 1).ravel()
    b.add_terms(flow, nxt, work.index()[:, :-1], -1.0)
    _soft(
        m,
        "min_headcount",
        work,
        np.broadcast_to((p.min_headcount > 0)[:, None], shape),
        p.min_headcount[:, None],
        lower=True,
        penalty=penalty,
    )
    _soft(
        m,
        "max_headcount",
        work,
        np.broadcast_to(np.isfinite(p.max_headcount)[:, None], shape),
        p.max_headcount[:, None],
        lower=False,
        penalty=penalty,
    )
