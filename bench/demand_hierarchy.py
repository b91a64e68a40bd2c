"""Scale figures for the hierarchy, lifecycle and events engines."""

import resource
import time
import tracemalloc
import warnings

import hierarchicalforecast.core  # noqa: F401  (import cost, ~5 s, kept out of the figures)
import numpy as np
import pandas as pd

from oneplan.engines.demand.events import apply_uplift, clean_history, expand_events
from oneplan.engines.demand.hierarchy import (
    aggregate_history,
    build_structure,
    disaggregate,
    reconcile,
)
from oneplan.engines.demand.lifecycle import apply_end_dates, launch_forecast

warnings.simplefilter("ignore")


def case(n_items, n_locs, months=36, horizon=18, seed=0):
    rng = np.random.default_rng(seed)
    items = pd.DataFrame({"item": [f"I{i:05d}" for i in range(n_items)]})
    items["family"] = [f"F{i % max(1, n_items // 20):03d}" for i in range(n_items)]
    items["category"] = "K" + (items["family"].str[1:].astype(int) % 5).astype(str)
    locs = pd.DataFrame(
        {
            "location": [f"L{j:02d}" for j in range(n_locs)],
            "region": [f"R{j % 3}" for j in range(n_locs)],
        }
    )
    bottom = items[["item"]].merge(locs[["location"]], how="cross")
    return items, locs, bottom, rng


def timed(label, fn, rows):
    t = time.perf_counter()
    out = fn()
    dt = time.perf_counter() - t
    peak = float("nan")
    if dt < 15:
        tracemalloc.start()
        fn()
        peak = tracemalloc.get_traced_memory()[1] / 2**20
        tracemalloc.stop()
    rows.append((label, f"{dt:.2f}", f"{peak:.0f}"))
    print(*rows[-1], sep="  ", flush=True)
    return out


rows = []
for n_items, n_locs in [(200, 5), (2000, 5), (10000, 5)]:
    items, locs, bottom, rng = case(n_items, n_locs)
    tag = f"{n_items}x{n_locs}"
    s = timed(f"build_structure {tag}", lambda: build_structure(items, locs, bottom), rows)
    ds = pd.date_range("2024-01-01", periods=36, freq="MS")
    ids = s.bottom["unique_id"].to_numpy()
    h = pd.DataFrame(
        {
            "unique_id": np.repeat(ids, 36),
            "ds": np.tile(ds, len(ids)),
            "y": rng.gamma(3, 30, len(ids) * 36),
        }
    )
    ah = timed(
        f"aggregate_history {tag} ({len(s.nodes)} nodes)", lambda: aggregate_history(h, s), rows
    )
    ah["fitted"] = ah["y"] * rng.normal(1, 0.1, len(ah))
    f = (
        ah.groupby("unique_id", as_index=False)["y"]
        .mean()
        .rename(columns={"y": "forecast"})
        .merge(
            pd.DataFrame({"ds": pd.date_range("2027-01-01", periods=18, freq="MS")}), how="cross"
        )
    )
    for lv, z in ((80, 1.2816), (95, 1.96)):
        f[f"forecast-lo-{lv}"] = f.forecast * (1 - 0.15 * z)
        f[f"forecast-hi-{lv}"] = f.forecast * (1 + 0.15 * z)
    runs = [("top_down", (80, 95)), ("bottom_up", ()), ("mint_ols", ())]
    if len(s.nodes) <= 3000:
        runs += [("bottom_up", (80, 95)), ("mint_ols", (80, 95)), ("mint_shrink", (80, 95))]
    for m, lv in runs:
        timed(
            f"reconcile {m} levels={lv} {tag}",
            lambda: reconcile(f, ah, s, method=m, levels=lv),
            rows,
        )
    plan = f.merge(s.nodes, on="unique_id")
    plan = plan[plan.hierarchy_level == "item/location"].merge(
        s.bottom[["unique_id", "family"]], on="unique_id"
    )
    ch = (
        pd.DataFrame({"family": s.bottom.family.unique()})
        .merge(pd.DataFrame({"ds": plan.ds.unique()}), how="cross")
        .assign(change=10.0)
    )
    timed(
        f"disaggregate family x month {tag}", lambda: disaggregate(ch, plan, ["family", "ds"]), rows
    )
    ev = pd.DataFrame(
        {
            "code": [f"E{k}" for k in range(200)],
            "kind": "promotion",
            "family": rng.choice(items.family.unique(), 200),
            "start_period": rng.choice(ds[:30], 200),
        }
    )
    ev["end_period"] = ev.start_period + pd.DateOffset(months=2)
    ev["uplift_pct"] = 20.0
    cells = timed(
        f"expand_events 200 family events {tag}",
        lambda: expand_events(
            ev,
            items.rename(columns={"item": "code"}),
            locs.rename(columns={"location": "code"}),
            ds,
        ),
        rows,
    )
    timed(f"clean_history {tag} ({len(cells)} cells)", lambda: clean_history(h, cells), rows)
    bl = plan[["unique_id", "ds", "forecast"]]
    fcells = cells.assign(ds=cells.ds + pd.DateOffset(months=36))
    timed(f"apply_uplift {tag}", lambda: apply_uplift(bl, fcells), rows)
    like = bl.copy()
    launches = pd.DataFrame(
        {
            "item": items.item[:100].str.replace("I", "N"),
            "like_item": items.item[:100],
            "scale": 0.7,
            "ramp_up_periods": 4,
        }
    )
    imaster = pd.DataFrame({"code": launches.item, "launch_date": "2027-03-01"})
    timed(
        f"launch_forecast 100 launches {tag}",
        lambda: launch_forecast(like, launches, imaster, 18),
        rows,
    )
    endm = pd.DataFrame(
        {
            "code": items.item,
            "end_date": np.where(np.arange(n_items) % 10 == 0, "2027-06-30", None),
            "lifecycle_status": "active",
        }
    )
    timed(f"apply_end_dates {tag}", lambda: apply_end_dates(bl, endm), rows)

w = max(len(r[0]) for r in rows)
print(f"{'step':<{w}}  {'seconds':>8}  {'peak MiB (tracemalloc)':>22}")
for r in rows:
    print(f"{r[0]:<{w}}  {r[1]:>8}  {r[2]:>22}")
print(f"process peak RSS: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB")
