"""The engine itself on the series its rule was not chosen on, against the bar.

The regular models were chosen on M1 alone (``bench/forecast_rules.py``, protocol ``cross``), so
Tourism is the held-out part: this runs ``forecast`` (default and ``fast=True``) on each Tourism
set and scores it with the single statsforecast models and the median of AutoETS,
DynamicOptimizedTheta and AutoCES, all read from the cache of ``bench/forecast_cache.py``.
``--data M1`` runs the same on M1, which was used for choosing (shown for completeness, not as
evidence). M3 is never read.

Run: ``PYTHONPATH=src:bench .venv/bin/python bench/forecast_heldout.py [--data Tourism]``
"""

from __future__ import annotations

import argparse
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

from forecast_accuracy import FREQ, competition_sets
from forecast_rules import BAR_MEDIAN, SINGLES, _matrix, combine, load, per_series
from oneplan.engines.demand import forecast


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cache", type=Path, default=Path("/tmp/fx-cache"))
    parser.add_argument("--data", default="Tourism", choices=["Tourism", "M1"])
    parser.add_argument("--n-jobs", type=int, default=2)
    args = parser.parse_args()
    warnings.simplefilter("ignore")
    cached = {d.name: d for d in load(args.cache)}
    scores: dict[str, list[np.ndarray]] = {}
    seconds: dict[tuple[str, str], float] = {}
    for name, m, h, train, _test in competition_sets(1):
        if not name.startswith(args.data):
            continue
        data = cached[name]
        methods = {k: data.test[k] for k in SINGLES if k in data.test}
        methods["median(AutoETS,DOT,CES)"] = combine([data.test[k] for k in BAR_MEDIAN], "median")
        for label, options in (("oneplan", {}), ("oneplan --fast", {"fast": True})):
            start = time.perf_counter()
            result = forecast(
                train, h, freq=FREQ[m], season_length=m, n_jobs=args.n_jobs, **options
            )
            seconds[(name, label)] = time.perf_counter() - start
            methods[label] = _matrix(result.forecast, data.ids, "forecast")
            models = result.selection["model"].value_counts().head(2)
            print(
                f"{name} {label}: {seconds[(name, label)]:.1f} s; "
                + models.to_string().replace("\n", "; ")
            )
        part = pd.DataFrame(
            {k: per_series(v, data.test_y, data.scale).mean(axis=0) for k, v in methods.items()},
            index=["sMAPE", "MASE"],
        ).T
        print(
            f"\n{name} ({len(data.ids)} series)\n" + part.sort_values("MASE").round(3).to_string()
        )
        for k, v in methods.items():
            scores.setdefault(k, []).append(per_series(v, data.test_y, data.scale))
    total = pd.DataFrame(
        {k: np.concatenate(v).mean(axis=0) for k, v in scores.items()}, index=["sMAPE", "MASE"]
    ).T.sort_values("MASE")
    n = len(np.concatenate(scores["oneplan"]))
    print(f"\n{args.data}, all sets, every series weighted equally ({n} series)")
    print(total.round(3).to_string())
    print("\nSeconds:")
    for (name, label), s in seconds.items():
        print(f"  {name:<20} {label:<16} {s:7.1f}")
    for label in ("oneplan", "oneplan --fast"):
        total_s = sum(s for (_, lab), s in seconds.items() if lab == label)
        print(f"  {'all':<20} {label:<16} {total_s:7.1f}")


if __name__ == "__main__":
    main()
