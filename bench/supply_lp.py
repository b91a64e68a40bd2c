"""Supply LP benchmark: model build + hand-over to HiGHS against HiGHS's own solve time.

A synthetic plant: ``--items`` items x ``--periods`` months x ``--resources`` resources (one in
ten a labour pool with a workforce, the rest machines), each item routed over two machines
and one labour pool, seasonal demand, capacity a little short of the peak. Everything is
generated with numpy, not row by row.

    .venv/bin/python bench/supply_lp.py --items 1000
"""

from __future__ import annotations

import argparse
import resource
import time

import numpy as np
import pandas as pd

from oneplan.engines.supply import SupplyProblem
from oneplan.engines.supply.build import build_model
from oneplan.engines.supply.explain import binding_frame, utilisation_frame
from oneplan.engines.supply.results import plan_frame
from oneplan.engines.supply.solve import solve_model


def synthetic(items: int, periods: int, resources: int, seed: int = 0) -> SupplyProblem:
    rng = np.random.default_rng(seed)
    t = np.arange(periods)
    base = rng.gamma(2.0, 50.0, items)[:, None]
    season = 1 + 0.3 * np.sin(2 * np.pi * (t[None, :] + rng.integers(0, 12, (items, 1))) / 12)
    demand = np.round(base * season * rng.uniform(0.8, 1.2, (items, periods)))
    pools = max(1, resources // 10)
    machines = resources - pools
    route_machine = rng.integers(0, machines, (items, 2))
    route_pool = machines + rng.integers(0, pools, items)
    node = np.repeat(np.arange(items), 3)
    res = np.column_stack([route_machine, route_pool]).ravel()
    usage = rng.uniform(0.05, 0.5, node.size)
    load = np.zeros((resources, periods))
    np.add.at(load, res, usage[:, None] * demand[node])
    capacity = np.repeat(load.mean(axis=1, keepdims=True) * 1.02, periods, axis=1)
    kinds = np.array(["machine"] * machines + ["labour"] * pools, dtype=object)
    hours_per_worker = np.full(pools, 160.0)
    headcount = load[machines:].mean(axis=1) / hours_per_worker

    def per_item(low: float, high: float) -> np.ndarray:
        return np.repeat(rng.uniform(low, high, (items, 1)), periods, axis=1)

    material = per_item(5, 50)
    return SupplyProblem(
        periods=pd.date_range("2027-01-01", periods=periods, freq="MS"),
        node_item=np.array([f"I{i:05d}" for i in range(items)], dtype=object),
        node_location=np.full(items, "PLANT", dtype=object),
        demand=demand,
        on_hand=demand[:, 0] * 0.5,
        start_backlog=np.zeros(items),
        material_cost=material,
        unit_labour_cost=np.zeros((items, periods)),
        holding_cost=material * 0.02,
        backlog_cost=material * 0.1,
        lost_sales_cost=material * 2,
        subcontract_cost=np.where(np.arange(items)[:, None] % 5 == 0, material * 1.6, np.nan),
        subcontract_limit=np.where(np.arange(items)[:, None] % 5 == 0, demand * 0.2, 0.0),
        price=material * 2.5,
        producible=np.ones(items, bool),
        safety_stock=np.round(demand * 0.3),
        min_inventory=np.zeros((items, periods)),
        max_inventory=np.full((items, periods), np.inf),
        max_backlog_periods=np.where(np.arange(items) % 3 == 0, 2, -1),
        ending_inventory=np.round(demand[:, -1] * 0.5),
        resource_code=np.array([f"R{r:02d}" for r in range(resources)], dtype=object),
        resource_kind=kinds,
        capacity=capacity,
        overtime_hours=np.where(kinds[:, None] == "machine", capacity * 0.1, 0.0),
        routing_node=node,
        routing_resource=res,
        routing_usage=usage,
        pool_resource=np.arange(machines, resources),
        headcount=headcount,
        hours_per_worker=hours_per_worker,
        regular_wage=np.full(pools, 20.0),
        overtime_wage=np.full(pools, 30.0),
        overtime_limit=np.full(pools, 20.0),
        hiring_cost=np.full(pools, 2000.0),
        layoff_cost=np.full(pools, 3000.0),
        min_headcount=np.zeros(pools),
        max_headcount=headcount * 1.1,
        arc_from=np.array([], int),
        arc_to=np.array([], int),
        arc_lead=np.array([], int),
        arc_cost=np.array([]),
        machine_overtime_cost=40.0,
    )


def peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=10_000)
    parser.add_argument("--periods", type=int, default=24)
    parser.add_argument("--resources", type=int, default=50)
    parser.add_argument("--time-limit", type=float, default=None)
    args = parser.parse_args()

    started = time.perf_counter()
    problem = synthetic(args.items, args.periods, args.resources)
    generated = time.perf_counter()
    model = build_model(problem)
    built = time.perf_counter()
    cpu_before = time.process_time()
    outcome = solve_model(model, time_limit=args.time_limit, build_seconds=built - generated)
    cpu_solve = time.process_time() - cpu_before - outcome.pass_seconds
    read_start = time.perf_counter()
    x, duals = outcome.column_values, outcome.row_duals
    plan_frame(model, x)
    binding_frame(model, duals)
    utilisation_frame(model, x, duals)
    read = time.perf_counter() - read_start

    b = model.builder
    build_pass = outcome.build_seconds + outcome.pass_seconds
    rows = [
        ("items x periods x resources", f"{args.items} x {args.periods} x {args.resources}"),
        ("columns / rows / non-zeros", f"{b.n_columns:,} / {b.n_rows:,} / {b.matrix().nnz:,}"),
        ("generate synthetic data (s)", f"{generated - started:.2f}"),
        ("build model (s)", f"{outcome.build_seconds:.2f}"),
        ("pass to HiGHS (s)", f"{outcome.pass_seconds:.2f}"),
        ("HiGHS solve (s)", f"{outcome.solve_seconds:.2f}"),
        ("HiGHS solve, CPU time (s)", f"{cpu_solve:.2f}"),
        ("build + pass / solve", f"{100 * build_pass / max(outcome.solve_seconds, 1e-9):.1f} %"),
        ("read plan + explanations (s)", f"{read:.2f}"),
        ("status", outcome.status),
        ("objective", f"{outcome.objective:,.0f}"),
        ("peak memory (MiB, max RSS)", f"{peak_mib():,.0f}"),
    ]
    width = max(len(k) for k, _ in rows)
    for key, value in rows:
        print(f"{key:<{width}}  {value}")


if __name__ == "__main__":
    main()
