"""Fit each candidate model once per series and keep its forecasts, so rules compare without refits.

For every M1 and Tourism set (the same series, horizons and seasons as
``bench/forecast_accuracy.py``) and every model below, two parquet files go to ``--cache``
(default ``/tmp/fx-cache``): ``<set>/<model>.test.parquet``, the forecast of the official test
part from the whole training part, and ``<set>/<model>.cv.parquet``, the forecast of the last
``h`` training periods from the rest (one rolling-origin window, as the engine's backtest). A file
already there is kept. ``timings.csv`` records the seconds each fit took. M3 is never read.

Run: ``PYTHONPATH=src:bench .venv/bin/python bench/forecast_cache.py [--n-jobs 2]``
"""

from __future__ import annotations

import argparse
import time
import warnings
from pathlib import Path
from typing import Any

import pandas as pd
from statsforecast import StatsForecast
from statsforecast.models import (
    AutoARIMA,
    AutoCES,
    AutoETS,
    AutoTheta,
    DynamicOptimizedTheta,
    HistoricAverage,
    Naive,
    OptimizedTheta,
    RandomWalkWithDrift,
    SeasonalNaive,
    SimpleExponentialSmoothingOptimized,
    Theta,
)

from forecast_accuracy import FREQ, competition_sets


def models(m: int) -> dict[str, Any]:
    """Cheap models first: an interrupted run still leaves the useful part."""
    return {
        "Naive": Naive(),
        "SeasonalNaive": SeasonalNaive(season_length=m),
        "RWD": RandomWalkWithDrift(),
        "HistoricAverage": HistoricAverage(),
        "SESOpt": SimpleExponentialSmoothingOptimized(),
        "Theta": Theta(season_length=m),
        "OptimizedTheta": OptimizedTheta(season_length=m),
        "DynamicOptimizedTheta": DynamicOptimizedTheta(season_length=m),
        "CES": AutoCES(season_length=m),
        "AutoETS": AutoETS(season_length=m),
        "DampedETS": AutoETS(season_length=m, model="ZZZ", damped=True, alias="DampedETS"),
        "AutoTheta": AutoTheta(season_length=m),
        "AutoARIMA": AutoARIMA(season_length=m),
    }


# Too slow for the engine's budget: only their test forecasts are kept, for the bar.
NO_BACKTEST = {"AutoARIMA", "AutoTheta", "AutoETS", "DampedETS"}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cache", type=Path, default=Path("/tmp/fx-cache"))
    parser.add_argument("--n-jobs", type=int, default=2)
    args = parser.parse_args()
    warnings.simplefilter("ignore")
    sets = competition_sets(1)
    timing_file = args.cache / "timings.csv"
    args.cache.mkdir(parents=True, exist_ok=True)
    for model_name in models(1):
        for name, m, h, train, _ in sets:
            folder = args.cache / name.replace(" ", "_")
            folder.mkdir(exist_ok=True)
            for kind in ("test", "cv"):
                path = folder / f"{model_name}.{kind}.parquet"
                if path.exists() or (kind == "cv" and model_name in NO_BACKTEST):
                    continue
                model = models(m)[model_name]
                sf = StatsForecast(
                    models=[model], freq=FREQ[m], n_jobs=args.n_jobs, fallback_model=Naive()
                )
                start = time.perf_counter()
                if kind == "test":
                    out = sf.forecast(h=h, df=train)
                else:
                    out = sf.cross_validation(h=h, df=train, n_windows=1, step_size=h)
                seconds = time.perf_counter() - start
                value = [c for c in out.columns if c not in ("unique_id", "ds", "cutoff", "y")]
                out = out.rename(columns={value[0]: "forecast"})
                out.to_parquet(path, index=False)
                row = pd.DataFrame(
                    [[name, model_name, kind, train["unique_id"].nunique(), seconds]],
                    columns=["set", "model", "kind", "series", "seconds"],
                )
                row.to_csv(timing_file, mode="a", header=not timing_file.exists(), index=False)
                print(f"{name:<20} {model_name:<22} {kind:<4} {seconds:7.1f} s", flush=True)


if __name__ == "__main__":
    main()
