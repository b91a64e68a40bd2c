"""Aggregate planning: items folded into their families per location.

Quantities (demand, stock, opening backlog, safety stock, minimum/maximum/ending inventory,
subcontract limits) are summed. Per-unit figures (costs, prices, routing usage) are averaged
with each item's share of the family's demand at that location over the horizon as weight
(equal weights when the family has no demand there), so a family unit costs and loads the
resources like the demand-weighted mix of its items. The longest allowed customer wait is the
strictest of the items'.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import scipy.sparse as sp

from oneplan.engines.supply.problem import SupplyProblem


def _weighted(weights: sp.csr_matrix, values: np.ndarray) -> np.ndarray:
    """Weighted mean per group, ignoring nan entries; nan where every member is nan."""
    known = ~np.isnan(values)
    total = weights @ np.where(known, values, 0.0)
    mass = weights @ known.astype(float)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(mass > 0, total / np.where(mass > 0, mass, 1.0), np.nan)


def aggregate_to_families(p: SupplyProblem) -> SupplyProblem:
    """Fold every item into its family (items without a family stay on their own).

    >>> import oneplan.engines.supply as s
    >>> t = {"demand": pd.DataFrame({"item": ["A", "B"], "location": "P",
    ...      "period": "2027-01", "quantity": [1.0, 3.0]}),
    ...      "items": pd.DataFrame({"code": ["A", "B"], "family": ["F", "F"]})}
    >>> fam = aggregate_to_families(s.problem_from_tables(t, ["2027-01"]))
    >>> fam.node_item.tolist(), fam.demand.tolist()
    (['F'], [[4.0]])
    """
    family = np.array([p.item_family.get(str(i), str(i)) for i in p.node_item], dtype=object)
    groups = pd.MultiIndex.from_arrays([family, p.node_location])
    codes, uniques = pd.factorize(groups, sort=True)
    g_count, n = len(uniques), p.n_nodes
    member = sp.csr_matrix((np.ones(n), (codes, np.arange(n))), shape=(g_count, n))
    volume = p.demand.sum(axis=1)
    group_volume = member @ volume
    size = np.asarray(member.sum(axis=1)).ravel()
    share = np.where(
        group_volume[codes] > 0,
        volume / np.where(group_volume[codes] > 0, group_volume[codes], 1.0),
        1.0 / size[codes],
    )
    weights = sp.csr_matrix((share, (codes, np.arange(n))), shape=(g_count, n))

    def total(values: np.ndarray) -> np.ndarray:
        return np.asarray(member @ values)

    def mean(values: np.ndarray) -> np.ndarray:
        return _weighted(weights, values)

    usage = sp.csr_matrix(
        (p.routing_usage, (p.routing_node, p.routing_resource)),
        shape=(n, p.resource_code.size),
    )
    family_usage = (weights @ usage).tocoo()
    backlog_periods = np.where(p.max_backlog_periods >= 0, p.max_backlog_periods, np.iinfo(int).max)
    strictest = pd.Series(backlog_periods).groupby(codes).min().to_numpy()
    lanes = pd.DataFrame(
        {"from": codes[p.arc_from], "to": codes[p.arc_to], "lead": p.arc_lead, "cost": p.arc_cost}
    ).drop_duplicates(["from", "to"])
    return dataclasses.replace(
        p,
        node_item=np.asarray(uniques.get_level_values(0), dtype=object),
        node_location=np.asarray(uniques.get_level_values(1), dtype=object),
        demand=total(p.demand),
        on_hand=total(p.on_hand),
        start_backlog=total(p.start_backlog),
        material_cost=mean(p.material_cost),
        unit_labour_cost=mean(p.unit_labour_cost),
        holding_cost=mean(p.holding_cost),
        backlog_cost=mean(p.backlog_cost),
        lost_sales_cost=mean(p.lost_sales_cost),
        subcontract_cost=mean(p.subcontract_cost),
        subcontract_limit=total(p.subcontract_limit),
        price=mean(p.price),
        producible=total(p.producible.astype(float)) > 0,
        safety_stock=total(p.safety_stock),
        min_inventory=total(p.min_inventory),
        max_inventory=total(p.max_inventory),
        max_backlog_periods=np.where(strictest == np.iinfo(int).max, -1, strictest).astype(int),
        ending_inventory=total(p.ending_inventory),
        routing_node=family_usage.row.astype(int),
        routing_resource=family_usage.col.astype(int),
        routing_usage=family_usage.data.astype(float),
        arc_from=lanes["from"].to_numpy(int),
        arc_to=lanes["to"].to_numpy(int),
        arc_lead=lanes["lead"].to_numpy(int),
        arc_cost=lanes["cost"].to_numpy(float),
        item_family={},
    )
