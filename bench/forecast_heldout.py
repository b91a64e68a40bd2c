"""The engine itself on series its rule was not chosen on, against the bar.

The rule (regular models and near-tie setting) was chosen with the split-half protocol of
``bench/forecast_rules.py``: the series of each M1 and Tourism set split in two with a fixed seed,
chosen on one half and scored on the other, both ways. Both directions chose the same rule, so
each series is held out once: this runs ``forecast`` (default and ``fast=True``) on every set and
scores it on each held-out half, against the single statsforecast models and the median of
AutoETS, DynamicOptimizedTheta and AutoCES read from the cache of ``bench/forecast_cache.py``.
Seconds and CPU seconds (this process and its workers) are printed per set. M3 is never read.

The engine's forecasts are kept under ``<cache>/engine``; ``--reuse`` scores them again without
refitting (after more models were cached, say).

Run: ``PYTHONPATH=src:bench .venv/bin/python bench/forecast_heldout.py [--seed 0] [--reuse]``
"""

from __future__ import annotations

import argparse
import os
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

from forecast_accuracy import FREQ, competition_sets
from forecast_rules import BAR_MEDIAN, SINGLES, _matrix, combine, halves, load, per_series
from oneplan.engines.demand import forecast

ENGINE = {"oneplan": {}, "oneplan --fast": {"fast": True}}
HALF_B, HALF_A = "half B (rule chosen on half A)", "half A (rule chosen on half B)"
ALL = "all series, each held out once"


def cpu_seconds() -> float:
    """User and system time of this process and of the finished worker processes."""
    t = os.times()
    return t.user + t.system + t.children_user + t.children_system


def table(scores: dict[str, list[np.ndarray]]) -> pd.DataFrame:
    frame = pd.DataFrame(
        {k: np.concatenate(v).mean(axis=0) for k, v in scores.items()}, index=["sMAPE", "MASE"]
    ).T
    return frame.sort_values("MASE")


def verdict(frame: pd.DataFrame, method: str) -> str:
    """Which of the bar's methods ``method`` does not beat on both metrics."""
    others = frame.drop(index=list(ENGINE))
    behind = [
        f"{k} ({metric})"
        for k in others.index
        for metric in ("sMAPE", "MASE")
        if frame.loc[method, metric] >= others.loc[k, metric]
    ]
    return "bar met" if not behind else "bar NOT met, behind " + ", ".join(behind)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cache", type=Path, default=Path("/tmp/fx-cache"))
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--n-jobs", type=int, default=2)
    parser.add_argument(
        "--reuse", action="store_true", help="score the forecasts kept by an earlier run again"
    )
    args = parser.parse_args()
    warnings.simplefilter("ignore")
    cached = {d.name: d for d in load(args.cache)}
    split = halves(list(cached.values()), args.seed)
    singles = [k for k in SINGLES if all(k in d.test for d in cached.values())]
    parts: dict[str, dict[str, list[np.ndarray]]] = {}
    seconds: list[tuple[str, str, int, float, float]] = []
    for name, m, h, train, _test in competition_sets(1):
        data = cached[name]
        methods = {k: data.test[k] for k in singles}
        methods["median(AutoETS,DOT,CES)"] = combine([data.test[k] for k in BAR_MEDIAN], "median")
        for label, options in ENGINE.items():
            kept = args.cache / "engine" / f"{name} {label}.parquet".replace(" ", "_")
            if args.reuse and kept.exists():
                methods[label] = _matrix(pd.read_parquet(kept), data.ids, "forecast")
                continue
            start, cpu = time.perf_counter(), cpu_seconds()
            result = forecast(
                train, h, freq=FREQ[m], season_length=m, n_jobs=args.n_jobs, **options
            )
            wall, cpu = time.perf_counter() - start, cpu_seconds() - cpu
            seconds.append((name, label, len(data.ids), wall, cpu))
            kept.parent.mkdir(exist_ok=True)
            result.forecast.to_parquet(kept, index=False)
            methods[label] = _matrix(result.forecast, data.ids, "forecast")
            models = result.selection["model"].value_counts().head(2)
            print(f"{name} {label}: {wall:.1f} s; " + models.to_string().replace("\n", "; "))
            print(f"  first reason: {result.selection['reason'].iloc[0]}")
        scored = {k: per_series(v, data.test_y, data.scale) for k, v in methods.items()}
        half_a, half_b = split[name]
        every = np.arange(len(data.ids))
        groups = {name: every, name.split()[0]: every, HALF_B: half_b, HALF_A: half_a, ALL: every}
        for group, rows in groups.items():
            for k, v in scored.items():
                parts.setdefault(group, {}).setdefault(k, []).append(v[rows])
    order = [g for g in parts if g not in ("M1", "Tourism", HALF_B, HALF_A, ALL)]
    for group in [*order, "M1", "Tourism", HALF_B, HALF_A, ALL]:
        scores = parts[group]
        frame = table(scores)
        n = len(np.concatenate(scores["oneplan"]))
        print(f"\n{group} ({n} series)\n{frame.round(3).to_string()}")
        for label in ENGINE:
            print(f"  {label}: {verdict(frame, label)}")
    print(f"\n{'set':<20} {'run':<16} {'series':>6} {'seconds':>8} {'CPU s':>8}")
    for name, label, n, wall, cpu in seconds:
        print(f"{name:<20} {label:<16} {n:6d} {wall:8.1f} {cpu:8.1f}")
    for prefix in ("M1", "Tourism"):
        for label in ENGINE:
            rows = [r for r in seconds if r[0].startswith(prefix) and r[1] == label]
            n, wall, cpu = (sum(r[k] for r in rows) for k in (2, 3, 4))
            print(f"{prefix + ', all':<20} {label:<16} {n:6d} {wall:8.1f} {cpu:8.1f}")


if __name__ == "__main__":
    main()
