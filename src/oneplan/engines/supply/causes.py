"""Why demand goes unmet: the cause of each backlog and lost sale, read from the duals.

A unit short at node *n* in month *t* costs the plan its *shortage cost*: the lost-sales cost
(plus the price under the margin objective) when it is lost, else the marginal cost of that
demand (the balance row's dual: waiting, then being served late or lost at the end). It could
have been supplied on time along a *path*: made at *n* or at a location with a lane to *n*, in
a month *s* early enough to arrive by *t* (held in between). Each path has a *supply cost*
without capacity (material and per-unit labour, holding, the lane) and a *capacity rent*: the
shadow prices of the machine, supplier and labour rows its routing uses in month *s*, times
the hours (or units) one unit takes. At the optimum no path costs less than the shortage once
its rent is added, so:

- some path's supply cost is below the shortage cost: it is blocked by its rent, and the
  cause is ``capacity``; the resource named is the one with the largest rent on the latest
  such path (the last month the unit could still have been made), with that month;
- every path costs at least the shortage: the demand is short because that is cheaper,
  ``cheaper to lose than to make`` (a lost sale) or ``cheaper to deliver late`` (a backlog);
- no path exists: ``lead time`` (a source exists but nothing can arrive by *t*) or
  ``no supply source``; an item with no routing anywhere is ``no capacity defined``.

Without duals (integer workforce) a resource at its limit in month *s* stands for a positive
rent, and a backlog's shortage cost is unknown, so every path counts as worth taking.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import scipy.sparse as sp

from oneplan.engines.supply.build import SupplyModel
from oneplan.engines.supply.problem import SupplyProblem

CAUSE_CAPACITY = "capacity"
CAUSE_NO_CAPACITY = "no capacity defined"
CAUSE_NO_SOURCE = "no supply source"
CAUSE_LEAD_TIME = "lead time"
CAUSE_LOSE = "cheaper to lose than to make"
CAUSE_LATE = "cheaper to deliver late"

UNMET_COLUMNS = [
    "item",
    "location",
    "period",
    "backlog",
    "lost_sales",
    "cause",
    "resource",
    "binding_period",
    "shadow_price",
    "supply_cost",
    "shortage_cost",
    "detail",
]

FULL = 1.0 - 1e-6
"""Utilisation from which a resource counts as at its limit (plans without duals)."""


def _shortage_cost(
    model: SupplyModel, node: np.ndarray, t: np.ndarray, lost: np.ndarray, duals: np.ndarray | None
) -> np.ndarray:
    """What one unit short costs the plan: a lost sale's cost, else the demand's marginal cost."""
    p = model.problem
    lost_cost = np.nan_to_num(p.lost_sales_cost) + (
        np.nan_to_num(p.price) if model.objective == "margin" else 0.0
    )
    marginal = np.full(node.size, np.inf)
    block = model.builder.rows.get("balance")
    if duals is not None and block is not None:
        marginal = -block.take(duals)[node, t]
    return np.asarray(np.where(lost, lost_cost[node, t], marginal), float)


def _sources(p: SupplyProblem) -> pd.DataFrame:
    """Where each node can be supplied from: itself (lead 0) and the far end of each lane."""
    own = np.flatnonzero(p.producible)
    lanes = p.producible[p.arc_from]
    return pd.DataFrame(
        {
            "node": np.concatenate([own, p.arc_to[lanes]]),
            "source": np.concatenate([own, p.arc_from[lanes]]),
            "lead": np.concatenate([np.zeros(own.size, int), p.arc_lead[lanes]]),
            "lane_cost": np.concatenate([np.zeros(own.size), p.arc_cost[lanes]]),
        }
    )


def _rents(model: SupplyModel, util: pd.DataFrame) -> tuple[np.ndarray, sp.csr_matrix, np.ndarray]:
    """Per resource and month the value of one more hour (``price``, >= 0), the routing usage
    matrix (node x resource), and per node and month the capacity rent of making one unit."""
    p = model.problem
    t_len = p.n_periods
    shadow = util["shadow_price"].to_numpy(float).reshape(-1, t_len)
    full = (util["utilisation"].to_numpy(float) >= FULL).reshape(-1, t_len)
    price = np.where(np.isnan(shadow), np.where(full, 1.0, 0.0), np.maximum(shadow, 0.0))
    if model.unconstrained:  # no capacity row exists, so none can block a path
        price = np.zeros_like(price)
    usage = sp.csr_matrix(
        (p.routing_usage, (p.routing_node, p.routing_resource)),
        shape=(p.n_nodes, p.resource_code.size),
    )
    return price, usage, np.asarray(usage @ price)


def unmet_demand_frame(
    model: SupplyModel,
    plan: pd.DataFrame,
    util: pd.DataFrame,
    duals: np.ndarray | None = None,
) -> pd.DataFrame:
    """Each backlog and lost sale with its cause, the resource and month that block it, and the
    two costs compared: ``supply_cost`` (the cheapest on-time supply without capacity) and
    ``shortage_cost`` (what one unit short costs). See the module docstring."""
    p = model.problem
    unmet = plan[(plan["backlog"] > 1e-6) | (plan["lost_sales"] > 1e-6)]
    if unmet.empty:
        return pd.DataFrame(columns=UNMET_COLUMNS)
    t_len = p.n_periods
    key = pd.MultiIndex.from_arrays([p.node_item, p.node_location])
    node = key.get_indexer(pd.MultiIndex.from_frame(unmet[["item", "location"]]))
    t = p.periods.get_indexer(pd.DatetimeIndex(unmet["period"]))
    lost = unmet["lost_sales"].to_numpy(float) > 1e-6
    shortage = _shortage_cost(model, node, t, lost, duals)
    price, usage, rent = _rents(model, util)

    # Every path: (shortage row, source, build month s), with s + lead <= t.
    sources = _sources(p)
    rows = pd.DataFrame({"row": np.arange(len(unmet)), "node": node, "t": t}).merge(
        sources, on="node"
    )
    latest = (rows["t"] - rows["lead"]).to_numpy(int)
    count = np.maximum(latest + 1, 0)
    take = np.repeat(np.arange(len(rows)), count)
    first = np.repeat(np.cumsum(count) - count, count)
    paths = rows.iloc[take].reset_index(drop=True)
    s = np.arange(take.size) - first
    src, dst = paths["source"].to_numpy(int), paths["node"].to_numpy(int)
    lead, due = paths["lead"].to_numpy(int), paths["t"].to_numpy(int)
    # Holding from the build month to the due month, at the source or at the destination.
    held = np.concatenate([np.zeros((p.n_nodes, 1)), np.cumsum(p.holding_cost, axis=1)], axis=1)
    at_source = held[src, due - lead] - held[src, s]
    at_destination = held[dst, due] - held[dst, s + lead]
    make_cost = p.material_cost + p.unit_labour_cost
    supply = (
        make_cost[src, s]
        + paths["lane_cost"].to_numpy(float)
        + np.minimum(at_source, at_destination)
    )
    row = paths["row"].to_numpy(int)
    bar = shortage[row]
    worth = supply < bar - 1e-9 * np.maximum(1.0, np.abs(np.where(np.isfinite(bar), bar, 0.0)))
    blocked = worth & (rent[src, s] > 1e-9)
    cheapest = np.full(len(unmet), np.inf)
    np.minimum.at(cheapest, row, supply)

    # The latest blocked path of each row, then its dearest resource in that month.
    chosen = pd.DataFrame({"row": row[blocked], "source": src[blocked], "s": s[blocked]})
    chosen["rent"] = rent[chosen["source"].to_numpy(int), chosen["s"].to_numpy(int)]
    chosen = chosen.sort_values(["row", "s", "rent"]).drop_duplicates("row", keep="last")
    edges = usage[chosen["source"].to_numpy(int)].tocoo()
    share = pd.DataFrame(
        {
            "row": chosen["row"].to_numpy(int)[edges.row],
            "resource": edges.col,
            "s": chosen["s"].to_numpy(int)[edges.row],
        }
    )
    share["value"] = edges.data * price[share["resource"].to_numpy(int), share["s"].to_numpy(int)]
    named = share.sort_values(["row", "value"]).drop_duplicates("row", keep="last")
    named = named.set_index("row").reindex(np.arange(len(unmet)))

    capacity = named["resource"].notna().to_numpy()
    has_source = np.isin(node, sources["node"].to_numpy())
    has_path = np.isfinite(cheapest)
    unrouted = ~pd.Index(p.node_item).isin(p.node_item[p.routing_node])[node]
    cause = np.select(
        [capacity, ~has_source, ~has_path, unrouted, lost],
        [CAUSE_CAPACITY, CAUSE_NO_SOURCE, CAUSE_LEAD_TIME, CAUSE_NO_CAPACITY, CAUSE_LOSE],
        CAUSE_LATE,
    )
    out = unmet[["item", "location", "period", "backlog", "lost_sales"]].reset_index(drop=True)
    out["cause"] = cause
    res = named["resource"].fillna(-1).to_numpy(int)
    when = named["s"].fillna(-1).to_numpy(int)
    names = np.concatenate([p.resource_code, np.array([None], dtype=object)])  # -1: none
    out["resource"] = names[np.where(capacity, res, -1)]
    out["binding_period"] = pd.DatetimeIndex(
        np.where(capacity, p.periods.to_numpy()[np.maximum(when, 0)], np.datetime64("NaT"))
    )
    shadow = util["shadow_price"].to_numpy(float).reshape(-1, t_len)[np.maximum(res, 0)]
    out["shadow_price"] = np.where(
        capacity, shadow[np.arange(len(out)), np.maximum(when, 0)], np.nan
    )
    out["supply_cost"] = np.where(has_path, cheapest, np.nan)
    out["shortage_cost"] = np.where(np.isfinite(shortage), shortage, np.nan)
    unit = np.where(p.resource_kind[np.maximum(res, 0)] == "supplier", "unit", "hour")
    out["detail"] = _details(out, p.period_labels[np.maximum(when, 0)], unit, p.currency)
    return out[UNMET_COLUMNS]


def _details(out: pd.DataFrame, when: np.ndarray, unit: np.ndarray, currency: str) -> list[str]:
    """One sentence per row, in the planner's words, with the figures that decide it."""
    cur = f" {currency}" if currency else ""

    def money(value: float) -> str:
        return "unknown" if np.isnan(value) else f"{value:,.2f}{cur}"

    sentences = []
    for cause, res, month, one, price, supply, short in zip(
        out["cause"],
        out["resource"],
        when,
        unit,
        out["shadow_price"],
        out["supply_cost"],
        out["shortage_cost"],
        strict=True,
    ):
        if cause == CAUSE_CAPACITY:
            worth = "" if np.isnan(price) else f" (one more {one} worth {money(price)})"
            text = (
                f"{res} was at its limit in {month}, the last month it could have been made"
                f"{worth}; supplying it would cost {money(supply)}, the shortage {money(short)}"
            )
        elif cause == CAUSE_LOSE:
            text = f"making and delivering it costs {money(supply)}, losing it {money(short)}"
        elif cause == CAUSE_LATE:
            text = f"supplying it on time costs {money(supply)}, delivering late {money(short)}"
        elif cause == CAUSE_LEAD_TIME:
            text = "no source can deliver it by this month: the lead time is longer"
        elif cause == CAUSE_NO_SOURCE:
            text = "no routing and no lane supplies this item here"
        else:
            text = f"no resource limits this item; supply costs {money(supply)}, "
            text += f"the shortage {money(short)}"
        sentences.append(text)
    return sentences
