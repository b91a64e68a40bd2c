"""Independent plants: one LP for the company vs one per plant, in sequence and side by side.

    .venv/bin/python bench/supply_decompose.py --plants 4 --items-per-plant 500

Each plant makes its own items on its own machines (no shared resource, no lane), so the supply
problem splits into one sub-problem per plant with the same optimum. Prints the objective and
the time of each way of solving it.
"""

from __future__ import annotations

import argparse
import resource
import time

import numpy as np
import pandas as pd

from oneplan.engines.supply import problem_from_tables, solve_decomposed, solve_supply
from oneplan.engines.supply.decompose import split

MONTHS = 24


def company(
    plants: int, items_per_plant: int, machines: int, seed: int = 0
) -> dict[str, pd.DataFrame]:
    """Data-package tables of `plants` plants that share nothing, built without row loops."""
    rng = np.random.default_rng(seed)
    n = plants * items_per_plant
    item = np.array([f"I{i:06d}" for i in range(n)])
    plant = np.array([f"P{p:02d}" for p in range(plants)])[np.arange(n) // items_per_plant]
    months = pd.date_range("2027-01-01", periods=MONTHS, freq="MS")
    season = 1 + 0.3 * np.sin(2 * np.pi * np.arange(MONTHS) / 12)
    base = rng.gamma(4.0, 25.0, n)
    demand = pd.DataFrame(
        {
            "item": np.repeat(item, MONTHS),
            "location": np.repeat(plant, MONTHS),
            "period": np.tile(months, n),
            "quantity": (np.outer(base, season) * rng.uniform(0.8, 1.2, (n, MONTHS))).ravel(),
        }
    )
    machine = np.array([f"{p}-M{m}" for p in plant[::items_per_plant] for m in range(machines)])
    first = (np.arange(n) // items_per_plant) * machines + rng.integers(0, machines, n)
    second = (np.arange(n) // items_per_plant) * machines + rng.integers(0, machines, n)
    hours = rng.uniform(0.2, 1.0, (2, n))
    routings = pd.DataFrame(
        {
            "item": np.concatenate([item, item]),
            "location": np.concatenate([plant, plant]),
            "resource": machine[np.concatenate([first, second])],
            "usage_per_unit": hours.ravel(),
        }
    ).drop_duplicates(["item", "location", "resource"])
    load = routings.merge(
        demand.groupby("item", as_index=False)["quantity"].mean(), on="item"
    ).assign(hours=lambda f: f["usage_per_unit"] * f["quantity"])
    capacity = load.groupby("resource")["hours"].sum().reindex(machine).fillna(1.0) * 1.02
    resources = pd.DataFrame(
        {
            "code": machine,
            "kind": "machine",
            "location": np.repeat(plant[::items_per_plant], machines),
            "capacity_uom": "hours",
            "capacity_per_period": capacity.to_numpy(),
            "overtime_per_period": capacity.to_numpy() * 0.1,
        }
    )
    material = rng.uniform(5, 20, n)
    item_costs = pd.DataFrame(
        {
            "item": item,
            "location": plant,
            "valid_from": months[0],
            "material_cost": material,
            "labour_cost": material * 0.3,
            "overhead_cost": material * 0.1,
            "holding_cost": material * 0.02,
            "backlog_cost": material * 0.1,
            "lost_sales_cost": material * 2,
            "subcontract_cost": material * 1.5,
            "subcontract_limit": base * 0.2,
        }
    )
    parameters = pd.DataFrame(
        {
            "name": ["plan_start", "horizon_periods", "machine_overtime_cost"],
            "value": ["2027-01-01", str(MONTHS), "40"],
        }
    )
    return {
        "parameters": parameters,
        "demand": demand,
        "resources": resources,
        "routings": routings,
        "item_costs": item_costs,
    }


def timed(label: str, run: object) -> tuple[float, float]:
    started = time.perf_counter()
    plan = run()  # type: ignore[operator]
    seconds = time.perf_counter() - started
    print(f"{label:<34}{plan.status:>10}{plan.objective_value:>20,.2f}{seconds:>10.1f}")
    return plan.objective_value, seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--plants", type=int, default=4)
    parser.add_argument("--items-per-plant", type=int, default=500)
    parser.add_argument("--machines", type=int, default=10)
    args = parser.parse_args()
    problem = problem_from_tables(company(args.plants, args.items_per_plant, args.machines))
    pieces = len(split(problem))
    print(
        f"{args.plants} plants x {args.items_per_plant} items x {MONTHS} months, "
        f"{args.machines} machines each: {pieces} independent pieces"
    )
    print(f"{'solve':<34}{'status':>10}{'objective':>20}{'seconds':>10}")
    whole, t_whole = timed("one LP", lambda: solve_supply(problem))
    apart, t_apart = timed("one LP per piece, in sequence", lambda: solve_decomposed(problem))
    side, t_side = timed("one LP per piece, 2 threads", lambda: solve_decomposed(problem, n_jobs=2))
    assert abs(apart - whole) <= 1e-6 * abs(whole) and abs(side - whole) <= 1e-6 * abs(whole)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"same optimum; speed-up {t_whole / t_apart:.2f}x in sequence, "
        f"{t_whole / t_side:.2f}x with 2 threads; peak memory {peak:,.0f} MiB"
    )


if __name__ == "__main__":
    main()
