"""Supply planning: an optimised, explainable, capacity-constrained production plan.

``problem_from_tables`` turns data-package tables into a :class:`SupplyProblem`;
``solve_supply`` builds the linear program in blocks, solves it with HiGHS and returns a
:class:`SupplyPlan` of frames (plan, transfers, workforce, utilisation, binding constraints,
unmet demand with cause, marginal cost of supply, relaxations) plus status and costs.
"""

from __future__ import annotations

import functools
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd

from oneplan.engines.supply.build import Objective, build_model
from oneplan.engines.supply.causes import unmet_demand_frame
from oneplan.engines.supply.decompose import combine_frames, split
from oneplan.engines.supply.explain import (
    binding_frame,
    marginal_cost_frame,
    rank_binding,
    relaxation_frame,
    utilisation_frame,
)
from oneplan.engines.supply.family import aggregate_to_families
from oneplan.engines.supply.problem import SupplyProblem, problem_from_tables
from oneplan.engines.supply.results import (
    cost_breakdown,
    plan_frame,
    transfer_frame,
    workforce_frame,
)
from oneplan.engines.supply.solve import solve_model
from oneplan.errors import InputError

__all__ = [
    "SupplyPlan",
    "SupplyProblem",
    "aggregate_to_families",
    "capacity_gap",
    "problem_from_tables",
    "solve_decomposed",
    "solve_supply",
]

Level = Literal["item", "family"]


@dataclass(frozen=True)
class SupplyPlan:
    """The result of one supply-planning run; every field is data, including the status.

    ``objective_value`` is the total cost (objective ``cost``) or the margin, revenue minus
    total cost (objective ``margin``). ``cost_breakdown`` has columns ``term, value``; the cost
    terms add up to ``total_cost``.
    """

    status: str
    objective: str
    level: str
    unconstrained: bool
    objective_value: float
    total_cost: float
    cost_breakdown: pd.DataFrame
    plan: pd.DataFrame
    transfers: pd.DataFrame
    workforce: pd.DataFrame
    utilisation: pd.DataFrame
    binding_constraints: pd.DataFrame
    unmet_demand: pd.DataFrame
    marginal_cost: pd.DataFrame
    relaxations: pd.DataFrame
    build_seconds: float
    solve_seconds: float
    mip_gap: float
    currency: str = ""

    @property
    def has_plan(self) -> bool:
        """True when the solver returned a usable plan (optimal or a time-limited incumbent)."""
        return bool(len(self.plan)) and not self.plan["production"].isna().any()


def solve_supply(
    problem: SupplyProblem,
    *,
    objective: Objective = "cost",
    level: Level = "item",
    integer_workforce: bool = False,
    time_limit: float | None = None,
    unconstrained: bool = False,
) -> SupplyPlan:
    """Optimise the supply plan of ``problem``.

    ``unconstrained=True`` drops the machine, supplier and labour-hours rows (infinite
    capacity) so the plan can be compared with the constrained one (see :func:`capacity_gap`).

    >>> t = {"demand": pd.DataFrame({"item": "A", "location": "P",
    ...      "period": ["2027-01", "2027-02"], "quantity": [5.0, 7.0]}),
    ...      "item_costs": pd.DataFrame({"item": ["A"], "location": ["P"],
    ...      "valid_from": ["2027-01"], "material_cost": [2.0], "holding_cost": [1.0],
    ...      "backlog_cost": [5.0]})}
    >>> plan = solve_supply(problem_from_tables(t, ["2027-01", "2027-02"]))
    >>> plan.status, plan.objective_value, plan.plan["production"].tolist()
    ('optimal', 24.0, [5.0, 7.0])
    """
    if objective not in ("cost", "margin"):
        message = f"must be 'cost' or 'margin', not {objective!r}"
        raise InputError(message, table="arguments", column="objective")
    if level not in ("item", "family"):
        message = f"must be 'item' or 'family', not {level!r}"
        raise InputError(message, table="arguments", column="level")
    started = time.perf_counter()
    if level == "family":
        problem = aggregate_to_families(problem)
    model = build_model(
        problem,
        objective=objective,
        unconstrained=unconstrained,
        integer_workforce=integer_workforce,
    )
    outcome = solve_model(model, time_limit=time_limit, build_seconds=time.perf_counter() - started)
    x = outcome.column_values
    duals, from_penalty = outcome.row_duals, outcome.penalty_duals
    plan = plan_frame(model, x)
    util = utilisation_frame(model, x, duals, from_penalty)
    costs = cost_breakdown(model, x)
    is_cost = costs["term"] != "revenue"
    total = float(costs.loc[is_cost, "value"].sum())
    revenue = float(costs.loc[~is_cost, "value"].sum())
    value = total if objective == "cost" else revenue - total
    return SupplyPlan(
        status=outcome.status,
        objective=objective,
        level=level,
        unconstrained=unconstrained,
        objective_value=value if outcome.has_solution else float("nan"),
        total_cost=total if outcome.has_solution else float("nan"),
        cost_breakdown=costs,
        plan=plan,
        transfers=transfer_frame(model, np.nan_to_num(x)),
        workforce=workforce_frame(model, x),
        utilisation=util,
        binding_constraints=binding_frame(model, duals, x, from_penalty),
        unmet_demand=unmet_demand_frame(model, plan, util, duals)
        if outcome.has_solution
        else unmet_demand_frame(model, plan.iloc[:0], util),
        marginal_cost=marginal_cost_frame(model, duals, from_penalty),
        relaxations=relaxation_frame(model, np.nan_to_num(x)),
        build_seconds=outcome.build_seconds + outcome.pass_seconds,
        solve_seconds=outcome.solve_seconds,
        mip_gap=outcome.mip_gap,
        currency=problem.currency,
    )


def capacity_gap(constrained: SupplyPlan, unconstrained: SupplyPlan) -> pd.DataFrame:
    """Side by side per item, location and period: what capacity costs the plan.

    Columns: ``item, location, period, demand, production, production_unconstrained,
    unmet, unmet_unconstrained, production_gap``.
    """
    keys = ["item", "location", "period"]

    def frame(plan: SupplyPlan, suffix: str) -> pd.DataFrame:
        f = plan.plan
        return pd.DataFrame(
            {
                **{k: f[k] for k in keys},
                "demand": f["demand"],
                f"production{suffix}": f["production"] + f["subcontract"],
                f"unmet{suffix}": f["backlog"] + f["lost_sales"],
            }
        )

    out = frame(constrained, "").merge(
        frame(unconstrained, "_unconstrained").drop(columns="demand"), on=keys
    )
    out["production_gap"] = out["production_unconstrained"] - out["production"]
    return out


def solve_decomposed(
    problem: SupplyProblem,
    *,
    objective: Objective = "cost",
    level: Level = "item",
    integer_workforce: bool = False,
    time_limit: float | None = None,
    unconstrained: bool = False,
    n_jobs: int = 1,
) -> SupplyPlan:
    """Like :func:`solve_supply`, but each group of items that shares no resource or lane with
    the others is solved on its own; the optimum is the same, the pieces are smaller.

    With ``n_jobs`` above one the pieces are solved in that many threads at once (HiGHS runs
    without holding Python's interpreter lock). The status is ``optimal`` only when every piece
    is; otherwise the first other status.
    """
    if level == "family":
        problem = aggregate_to_families(problem)
    solve_piece = functools.partial(
        solve_supply,
        objective=objective,
        integer_workforce=integer_workforce,
        time_limit=time_limit,
        unconstrained=unconstrained,
    )
    parts = split(problem)
    if n_jobs > 1 and len(parts) > 1:
        with ThreadPoolExecutor(max_workers=min(n_jobs, len(parts))) as pool:
            pieces = list(pool.map(solve_piece, parts))
    else:
        pieces = [solve_piece(part) for part in parts]
    statuses = [piece.status for piece in pieces if piece.status != "optimal"]
    stacked = combine_frames([piece.cost_breakdown for piece in pieces])
    costs = stacked.groupby("term", sort=False)["value"].sum().reset_index()
    binding = rank_binding(combine_frames([piece.binding_constraints for piece in pieces]))
    return SupplyPlan(
        status=statuses[0] if statuses else "optimal",
        objective=objective,
        level=level,
        unconstrained=unconstrained,
        objective_value=sum(piece.objective_value for piece in pieces),
        total_cost=sum(piece.total_cost for piece in pieces),
        cost_breakdown=costs,
        plan=combine_frames([piece.plan for piece in pieces]),
        transfers=combine_frames([piece.transfers for piece in pieces]),
        workforce=combine_frames([piece.workforce for piece in pieces]),
        utilisation=combine_frames([piece.utilisation for piece in pieces]),
        binding_constraints=binding,
        unmet_demand=combine_frames([piece.unmet_demand for piece in pieces]),
        marginal_cost=combine_frames([piece.marginal_cost for piece in pieces]),
        relaxations=combine_frames([piece.relaxations for piece in pieces]),
        build_seconds=sum(piece.build_seconds for piece in pieces),
        solve_seconds=sum(piece.solve_seconds for piece in pieces),
        mip_gap=max((piece.mip_gap for piece in pieces), default=0.0),
        currency=problem.currency,
    )
