"""Time and peak memory of the inventory and finance engines at 10,000 item x location pairs."""

from __future__ import annotations

import resource
import time
import tracemalloc

import numpy as np
import pandas as pd

from oneplan.engines.finance import budget_variance, extend_long_range, financial_plan, rollup
from oneplan.engines.inventory import project_inventory, safety_stock

PAIRS, MONTHS, ORIGINS, STEPS = 10_000, 18, 24, 3
rng = np.random.default_rng(0)
periods = pd.date_range("2027-01-01", periods=MONTHS, freq="MS")
items = pd.DataFrame(
    {
        "code": [f"I{i:05d}" for i in range(PAIRS)],
        "family": [f"F{i % 50:02d}" for i in range(PAIRS)],
    }
)
keys = pd.DataFrame({"item": items["code"], "location": "P1"})
grid = keys.merge(pd.DataFrame({"period": periods}), how="cross")
grid["quantity"] = rng.gamma(4.0, 25.0, len(grid)).round()
policies = keys.assign(
    method=np.where(np.arange(PAIRS) % 3 == 0, "days_of_supply", "service_level"),
    service_level=0.95,
    days_of_supply=10.0,
    lead_time_periods=2.0,
    min_inventory=5.0,
    max_inventory=np.nan,
)
origins = pd.DataFrame({"cutoff": [f"c{o}" for o in range(ORIGINS)]}).merge(
    pd.DataFrame({"horizon_step": np.arange(1, STEPS + 1)}), how="cross"
)
errors = keys.merge(origins, how="cross")
errors["error"] = rng.normal(0, 20, len(errors))
supply = grid.assign(quantity=grid["quantity"] * rng.uniform(0.8, 1.2, len(grid)))
start = keys.assign(on_hand=50.0)
costs = keys.assign(
    valid_from="2027-01", material_cost=4.0, labour_cost=2.0, overhead_cost=1.0, holding_cost=0.1
)
prices = pd.DataFrame(
    {
        "item": items["code"],
        "channel": "all",
        "valid_from": "2027-01",
        "price": rng.uniform(8, 15, PAIRS),
    }
)
net = 50 + (supply["quantity"] - grid["quantity"]).groupby(grid["item"]).cumsum()
plan_supply = grid.assign(
    production=supply["quantity"],
    end_inventory=net.clip(lower=0),
    backlog=(-net).clip(lower=0),
    lost_sales=0.0,
)


def measure(name, call):
    # time without tracing (tracemalloc slows pandas down), then trace a second run for memory
    began = time.perf_counter()
    result = call()
    seconds = time.perf_counter() - began
    tracemalloc.start()
    call()
    peak = tracemalloc.get_traced_memory()[1] / 2**20
    tracemalloc.stop()
    print(f"| {name:<38} | {seconds:7.2f} | {peak:9.0f} |")
    return result


print(f"{PAIRS} pairs x {MONTHS} months, {len(errors)} backtest error rows")
print("| step | seconds | peak MiB (tracemalloc) |")
print("|---|---|---|")
ss = measure(
    "safety_stock", lambda: safety_stock(policies, errors, grid, periods=periods, items=items)
)
measure("project_inventory", lambda: project_inventory(start, supply, grid, ss, policies=policies))
fp = measure("financial_plan", lambda: financial_plan(grid, plan_supply, items, costs, prices))
measure("rollup family x quarter", lambda: rollup(fp.lines, level="family", grain="quarter"))
measure("extend_long_range 3 years", lambda: extend_long_range(fp.lines, 3, level="family"))
fam = fp.lines.groupby(["family", "period"], as_index=False)[
    ["shipped_quantity", "revenue", "gross_margin"]
].sum()
budgets = fam.rename(columns={"shipped_quantity": "volume", "gross_margin": "margin"})
budgets[["volume", "revenue", "margin"]] *= 1.05
measure("budget_variance", lambda: budget_variance(fp.lines, budgets))
print(f"max RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB")
