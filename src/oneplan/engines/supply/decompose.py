"""Independent sub-plans: where no resource or lane is shared, the LP splits exactly.

Items (nodes) and resources are the vertices of a graph whose edges are routings
(node - resource) and lanes (node - node); each connected component
(``scipy.sparse.csgraph.connected_components``) is a sub-problem with no coupling to the
others, so the sum of the sub-plans' optima is the optimum of the whole.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np
import pandas as pd
import scipy.sparse as sp
from scipy.sparse.csgraph import connected_components

from oneplan.engines.supply.problem import SupplyProblem

NODE_FIELDS = (
    "node_item", "node_location", "demand", "on_hand", "start_backlog", "material_cost",
    "unit_labour_cost", "holding_cost", "backlog_cost", "lost_sales_cost", "subcontract_cost",
    "subcontract_limit", "price", "producible", "safety_stock", "min_inventory",
    "max_inventory", "max_backlog_periods", "ending_inventory",
)  # fmt: skip
POOL_FIELDS = (
    "headcount", "hours_per_worker", "regular_wage", "overtime_wage", "overtime_limit",
    "hiring_cost", "layoff_cost", "min_headcount", "max_headcount", "working_time",
)  # fmt: skip


def components(p: SupplyProblem) -> tuple[np.ndarray, np.ndarray]:
    """Component label of every node and every resource.

    >>> import oneplan.engines.supply as s
    >>> t = {"routings": pd.DataFrame({"item": ["A", "B", "C"], "location": "P",
    ...      "resource": ["M1", "M1", "M2"], "usage_per_unit": 1.0}),
    ...      "resources": pd.DataFrame({"code": ["M1", "M2"], "kind": "machine",
    ...      "capacity_per_period": 10.0})}
    >>> nodes, resources = components(s.problem_from_tables(t, ["2027-01"]))
    >>> nodes.tolist(), resources.tolist()
    ([0, 0, 1], [0, 1])
    """
    n, r = p.n_nodes, p.resource_code.size
    src = np.concatenate([p.routing_node, p.arc_from])
    dst = np.concatenate([n + p.routing_resource, p.arc_to])
    graph = sp.coo_matrix((np.ones(src.size), (src, dst)), shape=(n + r, n + r))
    _, labels = connected_components(graph, directed=False)
    # Renumber in order of first appearance so labels read naturally.
    _, first = np.unique(labels, return_index=True)
    order = np.argsort(np.argsort(first))
    labels = order[np.searchsorted(np.unique(labels), labels)]
    return labels[:n], labels[n:]


def subproblem(p: SupplyProblem, nodes: np.ndarray, resources: np.ndarray) -> SupplyProblem:
    """The part of ``p`` on the given node and resource masks (closed under routings/lanes)."""
    node_map = np.cumsum(nodes) - 1
    res_map = np.cumsum(resources) - 1
    route = nodes[p.routing_node]
    arc = nodes[p.arc_from]
    pool = resources[p.pool_resource]
    changes: dict[str, Any] = {name: getattr(p, name)[nodes] for name in NODE_FIELDS}
    changes |= {name: getattr(p, name)[pool] for name in POOL_FIELDS}
    return dataclasses.replace(
        p,
        **changes,
        resource_code=p.resource_code[resources],
        resource_kind=p.resource_kind[resources],
        capacity=p.capacity[resources],
        overtime_hours=p.overtime_hours[resources],
        routing_node=node_map[p.routing_node[route]],
        routing_resource=res_map[p.routing_resource[route]],
        routing_usage=p.routing_usage[route],
        pool_resource=res_map[p.pool_resource[pool]],
        arc_from=node_map[p.arc_from[arc]],
        arc_to=node_map[p.arc_to[arc]],
        arc_lead=p.arc_lead[arc],
        arc_cost=p.arc_cost[arc],
    )


def split(p: SupplyProblem) -> list[SupplyProblem]:
    """Independent sub-problems of ``p``; resources no item uses go together in the last one."""
    node_label, res_label = components(p)
    used = np.unique(node_label)
    parts = [subproblem(p, node_label == c, res_label == c) for c in used]
    idle = ~np.isin(res_label, used)
    if idle.any():
        parts.append(subproblem(p, np.zeros(p.n_nodes, bool), idle))
    return parts


def combine_frames(frames: list[pd.DataFrame]) -> pd.DataFrame:
    """Concatenate sub-plan frames, skipping empty ones (keeps column dtypes stable)."""
    kept = [f for f in frames if len(f)]
    if not kept:
        return frames[0].iloc[:0] if frames else pd.DataFrame()
    return pd.concat(kept, ignore_index=True)
