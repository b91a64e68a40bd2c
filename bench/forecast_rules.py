"""Choose the forecast rule on some series and report it on others, from the cached forecasts.

Reads what ``bench/forecast_cache.py`` stored (each model fitted once per series: one backtest
window on the training part, and the forecast of the test part) and compares rules without any
refit. A *rule* is a list of models and a way to use them:

- ``pool[...]``: the engine's way: within each set, the combination (every model alone, the mean
  of every pair, the mean and the median of every three) with the lowest mean backtest MASE over
  the set's series forecasts them all; the backtest uses the training part only. With a near-tie
  rule (``widest`` or ``union`` and a tolerance), candidates within the tolerance of the best
  score are not dropped for a hair (see ``Pooled``);
- ``fixed[...]``: one fixed combination, no backtest.

Two protocols, neither of which lets a rule be chosen on the series it is scored on:

1. ``halves``: the series of each set are split in two halves with a fixed seed; the rule with the
   best score on half A is reported on half B, and the reverse. Every series is held out once.
2. ``cross``: choose on M1, report on Tourism, and the reverse.

The score that chooses is the larger of two ratios, mean sMAPE and mean MASE each divided by that
of the median of AutoETS, DynamicOptimizedTheta and AutoCES on the same series: the bar asks to
beat that median on both, so the weaker of the two decides. Only models cheap enough for the time
budget enter the lists (``docs/forecasting.md`` has the cost of each). M3 is never read.

Run: ``PYTHONPATH=src:bench .venv/bin/python bench/forecast_rules.py [--seed 0]``
"""

from __future__ import annotations

import argparse
import itertools
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from forecast_accuracy import competition_sets

# Every single statsforecast model run directly with default settings: the bar.
SINGLES = [
    "AutoETS",
    "AutoTheta",
    "AutoARIMA",
    "CES",
    "DynamicOptimizedTheta",
    "OptimizedTheta",
    "Theta",
    "SESOpt",
    "SeasonalNaive",
    "Naive",
    "RWD",
    "HistoricAverage",
    "DampedETS",
]
BAR_MEDIAN = ("AutoETS", "DynamicOptimizedTheta", "CES")
SCORE_CAP = 100.0
EMPTY = np.array([], dtype=int)


@dataclass
class SetData:
    name: str
    ids: np.ndarray
    test_y: np.ndarray  # series x h
    cv_y: np.ndarray  # series x h
    scale: np.ndarray  # in-sample seasonal-naive MAE
    test: dict[str, np.ndarray]  # model -> series x h
    cv: dict[str, np.ndarray]


def _matrix(frame: pd.DataFrame, ids: np.ndarray, column: str) -> np.ndarray:
    frame = frame.sort_values(["unique_id", "ds"])
    h = len(frame) // frame["unique_id"].nunique()
    table = frame.set_index(["unique_id", frame.groupby("unique_id").cumcount()])[column]
    return table.unstack().reindex(ids).to_numpy(dtype="float64")[:, :h]


def load(cache: Path) -> list[SetData]:
    sets = []
    for name, m, _h, train, test in competition_sets(1):
        folder = cache / name.replace(" ", "_")
        ids = np.sort(train["unique_id"].unique())
        train = train.sort_values(["unique_id", "ds"])
        lag = m if train.groupby("unique_id").size().min() > m else 1
        diffs = (train["y"] - train.groupby("unique_id")["y"].shift(lag)).abs()
        scale = diffs.groupby(train["unique_id"]).mean().reindex(ids).to_numpy()
        test_y = _matrix(test, ids, "y")
        tests, cvs = {}, {}
        cv_y = None
        for path in sorted(folder.glob("*.parquet")):
            model, kind, _ = path.name.split(".")
            frame = pd.read_parquet(path)
            (tests if kind == "test" else cvs)[model] = _matrix(frame, ids, "forecast")
            if kind == "cv" and cv_y is None:
                cv_y = _matrix(frame, ids, "y")
        assert cv_y is not None
        sets.append(SetData(name, ids, test_y, cv_y, scale, tests, cvs))
    return sets


def combine(values: list[np.ndarray], how: str) -> np.ndarray:
    stack = np.stack(values)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        out: np.ndarray = np.nanmedian(stack, 0) if how == "median" else np.nanmean(stack, 0)
    return out


def per_series(forecast: np.ndarray, actual: np.ndarray, scale: np.ndarray) -> np.ndarray:
    """series x 2: sMAPE (percent) and MASE."""
    denom = np.abs(forecast) + np.abs(actual)
    smape = np.where(denom > 0, 200 * np.abs(forecast - actual) / np.where(denom > 0, denom, 1), 0)
    mase = np.nanmean(np.abs(forecast - actual), axis=1) / scale
    return np.column_stack([np.nanmean(smape, axis=1), mase])


def combos(models: list[str]) -> list[tuple[tuple[str, ...], str]]:
    out: list[tuple[tuple[str, ...], str]] = []
    for size in (1, 2, 3):
        for members in itertools.combinations(models, size):
            out.append((members, "mean"))
            if size == 3:
                out.append((members, "median"))
    return out


def label(members: tuple[str, ...], how: str) -> str:
    return members[0] if len(members) == 1 else f"{how}({'+'.join(members)})"


@dataclass(frozen=True)
class Pooled:
    """The engine's pooled choice over ``models``; ``near`` settles near ties (``docs``).

    ``near="none"``: the candidate with the lowest pooled score wins outright. ``"widest"``: of
    the candidates within ``tolerance`` (relative) of the best score, the one with the most
    models wins (then the lowest score). ``"union"``: every model found in a candidate within
    ``tolerance`` is combined, by mean or median, whichever backtests better.
    """

    models: tuple[str, ...]
    near: str = "none"
    tolerance: float = 0.0


def _pooled_score(data: SetData, rows: np.ndarray, members: tuple[str, ...], how: str) -> float:
    cv = combine([data.cv[k][rows] for k in members], how)
    mase = per_series(cv, data.cv_y[rows], data.scale[rows])[:, 1]
    return float(np.mean(np.minimum(np.nan_to_num(mase, nan=SCORE_CAP), SCORE_CAP)))


def pooled_forecast(data: SetData, rows: np.ndarray, rule: Pooled) -> np.ndarray:
    """The engine's rule on the series ``rows`` of one set: test forecasts, series x h."""
    candidates = combos(list(rule.models))
    scores = np.array([_pooled_score(data, rows, m, how) for m, how in candidates])
    best = int(np.argmin(scores))
    near = np.flatnonzero(scores <= scores[best] * (1 + rule.tolerance))
    members, how = candidates[best]
    if rule.near == "widest":
        size = np.array([len(candidates[k][0]) for k in near])
        widest = near[size == size.max()]
        members, how = candidates[int(widest[np.argmin(scores[widest])])]
    elif rule.near == "union":
        members = tuple(m for m in rule.models if any(m in candidates[k][0] for k in near))
        how = "mean"
        if len(members) >= 3:
            medians = _pooled_score(data, rows, members, "median")
            how = "median" if medians < _pooled_score(data, rows, members, "mean") else "mean"
    return combine([data.test[k][rows] for k in members], how)


def rules(available: set[str]) -> dict[str, object]:
    """Candidate rules: model lists for the pooled choice, with and without a near-tie rule, and
    fixed combinations."""
    lists = {
        "regular": ("CES", "DynamicOptimizedTheta", "SeasonalNaive", "RWD", "SESOpt"),
        "regular+Theta": (
            "CES",
            "DynamicOptimizedTheta",
            "Theta",
            "SeasonalNaive",
            "RWD",
            "SESOpt",
        ),
        "former": ("CES", "OptimizedTheta", "SeasonalNaive", "RWD", "SESOpt"),
    }
    out: dict[str, object] = {}
    for name, models in lists.items():
        if not set(models) <= available:
            continue
        out[f"pool[{name}]"] = Pooled(models)
        for near in ("widest", "union"):
            for tolerance in (0.01, 0.02, 0.05):
                out[f"pool[{name}] {near} {tolerance:.0%}"] = Pooled(models, near, tolerance)
    for members, how in combos(["CES", "OptimizedTheta", "DynamicOptimizedTheta", "Theta"]):
        if len(members) >= 2:
            out[f"fixed[{label(members, how)}]"] = (members, how)
    return out


def forecasts_of(rule: object, data: SetData, rows: np.ndarray) -> np.ndarray:
    if isinstance(rule, Pooled):
        return pooled_forecast(data, rows, rule)
    members, how = rule  # type: ignore[misc]
    return combine([data.test[k][rows] for k in members], how)


def scores_of(sets: list[SetData], pick: dict[str, np.ndarray], methods: dict[str, object]):
    """Per method: sMAPE and MASE on the chosen rows of every set (each series weighs the same)."""
    table = {}
    for method, rule in methods.items():
        parts = []
        for data in sets:
            rows = pick[data.name]
            if not len(rows):
                continue
            if isinstance(rule, str):
                forecast = data.test[rule][rows]
            else:
                forecast = forecasts_of(rule, data, rows)
            parts.append(
                per_series(
                    np.clip(forecast, 0, None) if not isinstance(rule, str) else forecast,
                    data.test_y[rows],
                    data.scale[rows],
                )
            )
        both = np.concatenate(parts)
        table[method] = both
    return table


def halves(sets: list[SetData], seed: int) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Rows of half A and half B of every set, drawn with ``seed`` (set after set, in order)."""
    rng = np.random.default_rng(seed)
    split = {}
    for data in sets:
        order = rng.permutation(len(data.ids))
        split[data.name] = (np.sort(order[: len(order) // 2]), np.sort(order[len(order) // 2 :]))
    return split


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cache", type=Path, default=Path("/tmp/fx-cache"))
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    sets = load(args.cache)
    available = set.intersection(*(set(d.cv) for d in sets))
    candidates = rules(available)
    bar: dict[str, object] = {m: m for m in SINGLES if all(m in d.test for d in sets)}
    bar["median(AutoETS,DOT,CES)"] = (BAR_MEDIAN, "median")

    split = halves(sets, args.seed)

    def whole(prefix: str, inside: bool) -> dict[str, np.ndarray]:
        return {
            d.name: np.arange(len(d.ids)) if d.name.startswith(prefix) == inside else EMPTY
            for d in sets
        }

    folds = {
        "halves": [
            (
                {d.name: split[d.name][a] for d in sets},
                {d.name: split[d.name][1 - a] for d in sets},
            )
            for a in (0, 1)
        ],
        "cross": [(whole(src, True), whole(src, False)) for src in ("M1", "Tourism")],
    }
    for protocol, pairs in folds.items():
        print(f"\n=== protocol: {protocol} ===")
        held_rows: list[np.ndarray] = []
        held_bar: dict[str, list[np.ndarray]] = {k: [] for k in bar}
        for choose_on, report_on in pairs:
            fit = scores_of(sets, choose_on, {**candidates, "ref": bar["median(AutoETS,DOT,CES)"]})
            ref = fit.pop("ref").mean(axis=0)
            ranked = sorted(fit, key=lambda k: float(np.max(fit[k].mean(axis=0) / ref)))
            best = ranked[0]
            shown = ", ".join(f"{k} {np.max(fit[k].mean(axis=0) / ref):.4f}" for k in ranked[:8])
            print(f"chosen on {sum(len(v) for v in choose_on.values())} series: {shown}")
            held = scores_of(sets, report_on, {best: candidates[best], **bar})
            print(f"  -> held-out ({sum(len(v) for v in report_on.values())} series) with {best}:")
            summary = pd.DataFrame(
                {k: v.mean(axis=0) for k, v in held.items()}, index=["sMAPE", "MASE"]
            ).T.sort_values("MASE")
            print(summary.round(3).to_string())
            held_rows.append(held.pop(best))
            for k in bar:
                held_bar[k].append(held[k])
        total = {"chosen rule": np.concatenate(held_rows)}
        total.update({k: np.concatenate(v) for k, v in held_bar.items()})
        summary = pd.DataFrame(
            {k: v.mean(axis=0) for k, v in total.items()}, index=["sMAPE", "MASE"]
        ).T.sort_values("MASE")
        n = len(total["chosen rule"])
        print(f"\n{protocol}: all held-out parts together ({n} series)")
        print(summary.round(3).to_string())


if __name__ == "__main__":
    main()
