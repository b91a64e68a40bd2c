"""Why the plan looks the way it does, as frames a planner can read.

Shadow prices follow one sign rule: the money the plan gains (lower cost, or higher margin)
when a limit's right-hand side rises by one unit, i.e. ``-dual`` of the row in HiGHS's
minimisation. One more hour on a bottleneck is worth a positive amount; one more unit of
minimum inventory costs money, so its shadow price is negative.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from oneplan.engines.supply.build import SupplyModel
from oneplan.engines.supply.results import TOLERANCE, resource_hours, values


def _row_value(model: SupplyModel, duals: np.ndarray | None, name: str) -> np.ndarray | None:
    block = model.builder.rows.get(name)
    if block is None or duals is None:
        return None
    return -block.take(duals)


def utilisation_frame(
    model: SupplyModel,
    x: np.ndarray,
    duals: np.ndarray | None,
    from_penalty: np.ndarray | None = None,
) -> pd.DataFrame:
    """Every resource and period: capacity, hours used, overtime, relaxation, shadow price.

    ``degenerate`` marks a shadow price set by the relaxation penalty (the resource was
    relaxed, or its price moves with the penalty), not by what an hour is worth;
    ``from_penalty`` is the penalty's part of each row dual (see :func:`penalty_driven`).
    """
    p = model.problem
    r_all, t_len = p.resource_code.size, p.n_periods
    used = resource_hours(model, x)
    capacity = p.capacity.copy()
    overtime_available = p.overtime_hours.copy()
    overtime_used = np.zeros((r_all, t_len))
    relaxed = np.zeros((r_all, t_len))
    shadow = np.full((r_all, t_len), np.nan)
    moved = np.zeros((r_all, t_len))
    plain = model.capacity_resources
    if plain.size:
        overtime_used[plain] = values(model, x, "machine_overtime", (plain.size, t_len))
        relaxed[plain] = values(model, x, "capacity_relaxation", (plain.size, t_len))
        if (v := _row_value(model, duals, "capacity")) is not None:
            shadow[plain] = v
        if (v := _row_value(model, from_penalty, "capacity")) is not None:
            moved[plain] = v
    pools = p.pool_resource
    if pools.size:
        work = values(model, x, "workforce", (pools.size, t_len))
        capacity[pools] = work * p.worker_hours
        overtime_available[pools] = work * p.worker_overtime
        overtime_used[pools] = values(model, x, "overtime", (pools.size, t_len))
        relaxed[pools] = values(model, x, "labour_relaxation", (pools.size, t_len))
        if (v := _row_value(model, duals, "labour_hours")) is not None:
            shadow[pools] = v
        if (v := _row_value(model, from_penalty, "labour_hours")) is not None:
            moved[pools] = v
    with np.errstate(divide="ignore", invalid="ignore"):
        share = np.where(capacity > 0, used / capacity, np.where(used > TOLERANCE, np.inf, 0.0))
    return pd.DataFrame(
        {
            "resource": np.repeat(p.resource_code, t_len),
            "kind": np.repeat(p.resource_kind, t_len),
            "period": np.tile(p.periods.to_numpy(), r_all),
            "capacity": capacity.ravel(),
            "overtime_available": overtime_available.ravel(),
            "used": used.ravel(),
            "overtime_used": overtime_used.ravel(),
            "relaxed": relaxed.ravel(),
            "utilisation": share.ravel(),
            "shadow_price": shadow.ravel(),
            "degenerate": penalty_driven(
                shadow, relaxed, p.relaxation_penalty, None if from_penalty is None else moved
            ).ravel(),
        }
    )


def _unit(row: str, kind: str) -> str:
    """How one unit of a resource row's right-hand side reads in a sentence."""
    if row == "overtime_limit":
        return "overtime hour allowed in"
    if row == "labour_hours":
        return "labour hour in"
    return "unit from supplier" if kind == "supplier" else "hour on"


BINDING_COLUMNS = [
    "constraint",
    "name",
    "resource",
    "item",
    "location",
    "period",
    "shadow_price",
    "capacity",
    "relaxed",
    "degenerate",
    "meaning",
]


PENALTY_SHARE = 0.01
"""Without a basis to split the duals, a price of at least this share of the penalty is read
as coming from it."""
PENALTY_PART = 1e-9
"""A price whose penalty part exceeds this share of the penalty moves with the penalty."""


def penalty_driven(
    price: np.ndarray,
    relaxed: np.ndarray,
    penalty: float,
    from_penalty: np.ndarray | None = None,
) -> np.ndarray:
    """Shadow prices that come from the relaxation penalty, not from a business cost.

    A limit that was broken (``relaxed``) is priced at the penalty; so is one whose relaxation
    is exactly at break-even (the LP is degenerate there and any price up to the penalty is
    valid), and a limit that competes with a broken one for the same hours gets a share of
    it. ``from_penalty`` is the part of each price the penalty sets, read from the optimal
    basis: a price with such a part moves when the penalty moves, so it is an artefact
    whatever the scale of the money (a true 25,000 an hour in an engine plant is not). Without
    it (no basis), a price of at least :data:`PENALTY_SHARE` of the penalty is flagged.

    >>> penalty_driven(np.array([4.0, 1e6, -5e5, 5.0]), np.array([0, 0, 0, 2.0]), 1e6).tolist()
    [False, True, True, True]
    >>> split = np.array([0.0, 0.0, -5e5, 0.0])
    >>> penalty_driven(np.array([4e4, 2e5, -5e5, 5.0]), np.zeros(4), 1e6, split).tolist()
    [False, False, True, False]
    """
    if from_penalty is None:
        moved = np.abs(np.nan_to_num(price)) >= penalty * PENALTY_SHARE
    else:
        moved = np.abs(np.nan_to_num(from_penalty)) > penalty * PENALTY_PART
    return np.asarray(moved | (relaxed > 1e-6), bool)


def rank_binding(frame: pd.DataFrame) -> pd.DataFrame:
    """Order binding rows as a planner reads them: real prices before penalty-driven ones,
    capacity (machine, labour and supplier rows) before other limits, then by money value."""
    if frame.empty:
        return frame
    order = pd.DataFrame(
        {
            "degenerate": frame["degenerate"].astype(bool),
            "other": ~frame["capacity"].astype(bool),
            "value": -frame["shadow_price"].abs(),
        }
    )
    at = order.sort_values(["degenerate", "other", "value"], kind="stable").index
    return frame.loc[at].reset_index(drop=True)


def binding_frame(
    model: SupplyModel,
    duals: np.ndarray | None,
    x: np.ndarray | None = None,
    from_penalty: np.ndarray | None = None,
) -> pd.DataFrame:
    """Rows with a non-zero shadow price, named in business words.

    ``capacity`` marks machine, supplier and labour rows; ``relaxed`` a limit the plan had to
    break; ``degenerate`` a shadow price set by the relaxation penalty (see
    :func:`penalty_driven`), which says nothing about the value of a resource. Rows are ranked
    by :func:`rank_binding`.
    """
    if duals is None:
        return pd.DataFrame(columns=BINDING_COLUMNS)
    p = model.problem
    labels = p.period_labels
    cur = f" {p.currency}" if p.currency else ""
    penalty = p.relaxation_penalty
    solution = np.zeros(model.builder.n_columns) if x is None else np.nan_to_num(x)
    parts = []
    resource_rows = (
        ("capacity", model.capacity_resources, "capacity_relaxation"),
        ("labour_hours", p.pool_resource, "labour_relaxation"),
        ("overtime_limit", p.pool_resource, None),
    )
    for kind, rows, slack_name in resource_rows:
        value = _row_value(model, duals, kind)
        if value is None:
            continue
        moved = _row_value(model, from_penalty, kind)
        r, t = np.nonzero(np.abs(value) > TOLERANCE)
        res = p.resource_code[rows[r]]
        unit = [_unit(kind, k) for k in p.resource_kind[rows[r]]]
        price = value[r, t]
        give = np.zeros(r.size)
        if slack_name is not None:
            give = values(model, solution, slack_name, (rows.size, p.n_periods))[r, t]
        parts.append(
            pd.DataFrame(
                {
                    "constraint": kind,
                    "name": [f"{kind}[{a}, {b}]" for a, b in zip(res, labels[t], strict=True)],
                    "resource": res,
                    "item": None,
                    "location": None,
                    "period": p.periods[t],
                    "shadow_price": price,
                    "capacity": True,
                    "relaxed": give > 1e-6,
                    "degenerate": penalty_driven(
                        price, give, penalty, None if moved is None else moved[r, t]
                    ),
                    "meaning": [
                        f"one more {u} {a} in {b} is worth {v:,.2f}{cur}"
                        for u, a, b, v in zip(unit, res, labels[t], price, strict=True)
                    ],
                }
            )
        )
    for soft in model.soft.values():
        value = -soft.rows.take(duals)
        moved = None if from_penalty is None else soft.rows.take(from_penalty)
        hit = np.flatnonzero(np.abs(value) > TOLERANCE)
        pos = soft.positions[hit]
        ent, t = np.divmod(pos, p.n_periods)
        if soft.grid == "pool":
            who = p.resource_code[p.pool_resource[ent]]
            item, loc, res = None, None, who
        else:
            item, loc, res = p.node_item[ent], p.node_location[ent], None
            who = np.char.add(np.char.add(item.astype(str), "@"), loc.astype(str))
        give = soft.slack.take(solution)[hit] if soft.relaxation else np.zeros(hit.size)
        parts.append(
            pd.DataFrame(
                {
                    "constraint": soft.name,
                    "name": [f"{soft.name}[{a}, {b}]" for a, b in zip(who, labels[t], strict=True)],
                    "resource": res,
                    "item": item,
                    "location": loc,
                    "period": p.periods[t],
                    "shadow_price": value[hit],
                    "capacity": False,
                    "relaxed": give > 1e-6,
                    "degenerate": penalty_driven(
                        value[hit], give, penalty, None if moved is None else moved[hit]
                    ),
                    "meaning": [
                        f"raising {soft.name} of {a} in {b} by one changes the plan's value by "
                        f"{v:,.2f}{cur}"
                        for a, b, v in zip(who, labels[t], value[hit], strict=True)
                    ],
                }
            )
        )
    frame = pd.concat(parts, ignore_index=True)[BINDING_COLUMNS] if parts else pd.DataFrame()
    if frame.empty:
        return pd.DataFrame(columns=BINDING_COLUMNS)
    # A penalty-driven price is an artefact of the relaxation, so the sentence says so.
    note = np.where(
        frame["relaxed"],
        " (limit broken: this is the relaxation penalty, not a business value)",
        " (set by the relaxation penalty, not a business value)",
    )
    frame["meaning"] = frame["meaning"].where(~frame["degenerate"], frame["meaning"] + note)
    return rank_binding(frame)


def marginal_cost_frame(
    model: SupplyModel, duals: np.ndarray | None, from_penalty: np.ndarray | None = None
) -> pd.DataFrame:
    """Cost of serving one more unit of demand per item, location and period (balance dual).

    ``degenerate`` marks costs driven by the relaxation penalty (a unit more would break a limit
    that is already broken or at break-even), which are no business cost; see
    :func:`penalty_driven`.
    """
    p = model.problem
    value = _row_value(model, duals, "balance")
    # The balance right-hand side is -demand, so one more unit of demand costs -dual.
    cost = np.full((p.n_nodes, p.n_periods), np.nan) if value is None else value
    flat = cost.ravel()
    moved = _row_value(model, from_penalty, "balance")
    return pd.DataFrame(
        {
            "item": np.repeat(p.node_item, p.n_periods),
            "location": np.repeat(p.node_location, p.n_periods),
            "period": np.tile(p.periods.to_numpy(), p.n_nodes),
            "marginal_cost": flat,
            "degenerate": penalty_driven(
                flat,
                np.zeros(len(flat)),
                p.relaxation_penalty,
                None if moved is None else moved.ravel(),
            ),
        }
    )


def relaxation_frame(model: SupplyModel, x: np.ndarray) -> pd.DataFrame:
    """What had to give: each broken hard limit, by how much, and the penalty it cost."""
    p = model.problem
    labels = np.asarray(p.periods)
    parts = []
    for soft in model.soft.values():
        if not soft.relaxation:
            continue
        amount = soft.slack.take(x)
        hit = np.flatnonzero(amount > 1e-6)
        ent, t = np.divmod(soft.positions[hit], p.n_periods)
        pool = soft.grid == "pool"
        parts.append(
            pd.DataFrame(
                {
                    "constraint": soft.name,
                    "resource": p.resource_code[p.pool_resource[ent]] if pool else None,
                    "item": None if pool else p.node_item[ent],
                    "location": None if pool else p.node_location[ent],
                    "period": labels[t],
                    "limit": soft.bound[hit],
                    "relaxed_by": amount[hit],
                }
            )
        )
    for block, limit, rows in (
        ("capacity_relaxation", "capacity", model.capacity_resources),
        ("labour_relaxation", "labour_hours", p.pool_resource),
    ):
        amount = values(model, x, block, (rows.size, p.n_periods))
        r, t = np.nonzero(amount > 1e-6)
        cap = p.capacity[rows[r], t] if limit == "capacity" else np.full(r.size, np.nan)
        parts.append(
            pd.DataFrame(
                {
                    "constraint": limit,
                    "resource": p.resource_code[rows[r]],
                    "item": None,
                    "location": None,
                    "period": labels[t],
                    "limit": cap,
                    "relaxed_by": amount[r, t],
                }
            )
        )
    frame = (
        pd.concat(parts, ignore_index=True)
        if parts
        else pd.DataFrame(
            columns=["constraint", "resource", "item", "location", "period", "limit", "relaxed_by"]
        )
    )
    frame["penalty_cost"] = frame["relaxed_by"].astype(float) * p.relaxation_penalty
    return frame
