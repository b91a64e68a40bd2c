"""Plan frames read back from the solution vector: plan, transfers, workforce, costs."""

from __future__ import annotations

import numpy as np
import pandas as pd

from oneplan.engines.supply.build import SupplyModel

TOLERANCE = 1e-7


def values(model: SupplyModel, x: np.ndarray, name: str, shape: tuple[int, ...]) -> np.ndarray:
    """A column block's solution, or zeros when the block was not built."""
    block = model.builder.columns.get(name)
    if block is None:
        return np.zeros(shape)
    taken = block.take(x)
    # Solver round-off (-1e-12) would print as "-0.0" in a plan a person reads.
    return np.where(np.abs(taken) < 1e-9, 0.0, taken)


def arrivals(model: SupplyModel, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Units arriving at and departing from each node per period."""
    p = model.problem
    grid = (p.n_nodes, p.n_periods)
    ship = values(model, x, "transfer", (p.arc_from.size, p.n_periods))
    t = np.arange(p.n_periods)
    arrive_t = t[None, :] + p.arc_lead[:, None]
    ok = arrive_t < p.n_periods
    incoming, outgoing = np.zeros(grid), np.zeros(grid)
    to_rows = np.broadcast_to(p.arc_to[:, None], ship.shape)
    np.add.at(incoming, (to_rows[ok], arrive_t[ok]), ship[ok])
    np.add.at(outgoing, (np.broadcast_to(p.arc_from[:, None], ship.shape), t[None, :]), ship)
    return incoming, outgoing


def resource_hours(model: SupplyModel, x: np.ndarray) -> np.ndarray:
    """Hours (or supplier units) each resource spends per period on planned production."""
    p = model.problem
    make = values(model, x, "make", (p.n_nodes, p.n_periods))
    used = np.zeros((p.resource_code.size, p.n_periods))
    np.add.at(used, p.routing_resource, p.routing_usage[:, None] * make[p.routing_node])
    return used


def plan_frame(model: SupplyModel, x: np.ndarray) -> pd.DataFrame:
    """One row per item, location and period with every flow of the inventory balance."""
    p = model.problem
    grid = (p.n_nodes, p.n_periods)
    incoming, outgoing = arrivals(model, x)
    safety = model.soft.get("safety_stock")
    shortfall = np.zeros(grid)
    if safety is not None:
        shortfall.ravel()[safety.positions] = safety.slack.take(x)
    return pd.DataFrame(
        {
            "item": np.repeat(p.node_item, p.n_periods),
            "location": np.repeat(p.node_location, p.n_periods),
            "period": np.tile(p.periods.to_numpy(), p.n_nodes),
            "demand": p.demand.ravel(),
            "production": values(model, x, "make", grid).ravel(),
            "subcontract": values(model, x, "subcontract", grid).ravel(),
            "arrivals": incoming.ravel(),
            "departures": outgoing.ravel(),
            "lost_sales": values(model, x, "lost_sales", grid).ravel(),
            "end_inventory": values(model, x, "inventory", grid).ravel(),
            "backlog": values(model, x, "backlog", grid).ravel(),
            "safety_stock": p.safety_stock.ravel(),
            "safety_stock_shortfall": shortfall.ravel(),
        }
    )


def transfer_frame(model: SupplyModel, x: np.ndarray) -> pd.DataFrame:
    """Shipments along lanes with ship and arrival month (only non-zero ones)."""
    p = model.problem
    ship = values(model, x, "transfer", (p.arc_from.size, p.n_periods))
    arc, t = np.nonzero(ship > TOLERANCE)
    arrive = t + p.arc_lead[arc]
    return pd.DataFrame(
        {
            "item": p.node_item[p.arc_from[arc]],
            "from_location": p.node_location[p.arc_from[arc]],
            "to_location": p.node_location[p.arc_to[arc]],
            "ship_period": p.periods[t],
            "arrival_period": p.periods[np.minimum(arrive, p.n_periods - 1)],
            "quantity": ship[arc, t],
        }
    )


def workforce_frame(model: SupplyModel, x: np.ndarray) -> pd.DataFrame:
    """Per labour pool and period: headcount, hires, layoffs, hours available and used."""
    p = model.problem
    shape = (p.pool_resource.size, p.n_periods)
    work = values(model, x, "workforce", shape)
    used = resource_hours(model, x)[p.pool_resource]
    return pd.DataFrame(
        {
            "resource": np.repeat(p.resource_code[p.pool_resource], p.n_periods),
            "period": np.tile(p.periods.to_numpy(), p.pool_resource.size),
            "workforce": work.ravel(),
            "hires": values(model, x, "hires", shape).ravel(),
            "layoffs": values(model, x, "layoffs", shape).ravel(),
            "regular_hours": (work * p.worker_hours).ravel(),
            "overtime_hours": values(model, x, "overtime", shape).ravel(),
            "hours_used": used.ravel(),
        }
    )


def cost_breakdown(model: SupplyModel, x: np.ndarray) -> pd.DataFrame:
    """Every cost term of the plan (and revenue under the margin objective), in money."""
    p = model.problem
    grid = (p.n_nodes, p.n_periods)
    make = values(model, x, "make", grid)
    lost = values(model, x, "lost_sales", grid)
    backlog = values(model, x, "backlog", grid)
    pools = (p.pool_resource.size, p.n_periods)
    work = values(model, x, "workforce", pools)
    transfer = values(model, x, "transfer", (p.arc_from.size, p.n_periods))
    relaxed = sum(
        (float(soft.slack.take(x).sum()) for soft in model.soft.values() if soft.relaxation), 0.0
    )
    relaxed += float(values(model, x, "capacity_relaxation", (0,)).sum())
    relaxed += float(values(model, x, "labour_relaxation", (0,)).sum())
    safety = model.soft.get("safety_stock")
    ss_cost = 0.0
    if safety is not None:
        ss_cost = float(model.builder.cost()[safety.slack.index()] @ safety.slack.take(x))
    terms = {
        "material": float((p.material_cost * make).sum()),
        "unit_labour": float((p.unit_labour_cost * make).sum()),
        "regular_labour": float(
            (p.regular_wage[:, None] * p.hours_per_worker[:, None] * work).sum()
        ),
        "overtime_labour": float(
            (p.overtime_wage[:, None] * values(model, x, "overtime", pools)).sum()
        ),
        "machine_overtime": p.machine_overtime_cost
        * float(values(model, x, "machine_overtime", (0,)).sum()),
        "subcontracting": float(
            (np.nan_to_num(p.subcontract_cost) * values(model, x, "subcontract", grid)).sum()
        ),
        "holding": float((p.holding_cost * values(model, x, "inventory", grid)).sum()),
        "backlog": float((p.backlog_cost * backlog).sum()),
        "lost_sales": float((np.nan_to_num(p.lost_sales_cost) * lost).sum()),
        "unserved_at_horizon_end": float(
            (model.unserved_at_end_cost * backlog[:, -1]).sum() if backlog.size else 0.0
        ),
        "hiring": float((p.hiring_cost[:, None] * values(model, x, "hires", pools)).sum()),
        "layoffs": float((p.layoff_cost[:, None] * values(model, x, "layoffs", pools)).sum()),
        "transfers": float((p.arc_cost[:, None] * transfer).sum()),
        "safety_stock_shortfall": ss_cost,
        "relaxation_penalty": p.relaxation_penalty * relaxed,
    }
    frame = pd.DataFrame({"term": list(terms), "value": list(terms.values())})
    if model.objective == "margin":
        price = np.nan_to_num(p.price)
        revenue = float((price * (p.demand - lost)).sum() - (price[:, -1] * backlog[:, -1]).sum())
        frame = pd.concat([frame, pd.DataFrame({"term": ["revenue"], "value": [revenue]})])
    return frame.reset_index(drop=True)
