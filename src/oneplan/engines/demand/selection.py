"""Rolling-origin backtests and the per-series choice of a model or a mean of the best few.

Everything here works on whole blocks: one ``n_series x n_models`` error matrix per model set, so
the choice costs the same whether there are ten series or ten thousand.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd


@dataclass(frozen=True)
class BacktestPlan:
    """Rolling-origin windows: ``n_windows`` forecasts of ``h`` periods, cut-offs ``step`` apart."""

    h: int
    step: int
    n_windows: int

    def periods_needed(self, min_train: int) -> int:
        return min_train + self.h + (self.n_windows - 1) * self.step

    @property
    def label(self) -> str:
        return f"{self.n_windows}x{self.h} step {self.step}"


def backtest_ladder(horizon: int, n_windows: int) -> list[BacktestPlan]:
    """Plans from the most to the least demanding; a short series takes the first that fits.

    The full horizon with non-overlapping windows comes first; shorter series get overlapping
    windows (step 1) and then shorter test horizons.

    >>> [(p.h, p.step) for p in backtest_ladder(6, 3)]
    [(6, 6), (6, 3), (6, 1), (3, 3), (3, 2), (3, 1), (1, 1)]
    """
    plans: list[BacktestPlan] = []
    for h in dict.fromkeys((horizon, -(-horizon // 2), 1)):
        for step in dict.fromkeys((h, -(-h // 2), 1)):
            plans.append(BacktestPlan(h, step, n_windows))
    return plans


def assign_plans(n_obs: np.ndarray, ladder: list[BacktestPlan], min_train: int) -> np.ndarray:
    """Index into ``ladder`` of the first plan each series is long enough for, -1 for none."""
    needed = np.array([p.periods_needed(min_train) for p in ladder])
    fits = n_obs[:, None] >= needed[None, :]
    return np.where(fits.any(axis=1), fits.argmax(axis=1), -1)


@dataclass(frozen=True)
class Choice:
    """Per-series outcome of the backtest, rows aligned with ``series``.

    ``order`` ranks the models (columns of the backtest) best first; the forecast is the mean of the
    first ``n_combined``. ``scores`` holds each model's backtest MASE, ``combined_score`` that of
    the chosen mean; ``failed`` marks models that raised or gave no number for a series.
    """

    series: np.ndarray
    order: np.ndarray
    n_combined: np.ndarray
    scores: np.ndarray
    combined_score: np.ndarray
    failed: np.ndarray


def choose_models(
    backtest: pd.DataFrame,
    model_names: list[str],
    series: np.ndarray,
    scale: np.ndarray,
    failed: np.ndarray,
    *,
    combine: int | str = "auto",
    max_combination: int = 3,
    within: float = 2.0,
) -> Choice:
    """Rank the models per series by backtest MASE and decide how many of the best to average.

    ``backtest`` holds ``unique_id, y`` and one column per model; ``series`` lists the ids in the
    order of ``scale`` (in-sample seasonal-naive MAE) and of the rows of ``failed`` (models that
    raised). An integer ``combine`` averages that many of the best models, ``combine="auto"``
    picks per series the count (up to ``max_combination``) with the lowest backtest error; either
    way only models whose backtest MASE is within ``within`` times the best one's take part.
    """
    codes = pd.Categorical(backtest["unique_id"], categories=series).codes
    n_series, n_models = len(series), len(model_names)
    preds = backtest[model_names].to_numpy(dtype="float64")
    actual = backtest["y"].to_numpy(dtype="float64")
    counts = np.bincount(codes, minlength=n_series).astype("float64")
    failed = failed | _any_per_series(~np.isfinite(preds), codes, n_series)
    mae = np.full((n_series, n_models), np.nan)
    if len(preds):
        errors = np.abs(preds - actual[:, None])
        totals = np.column_stack(
            [np.bincount(codes, np.nan_to_num(errors[:, k]), n_series) for k in range(n_models)]
        )
        mae = totals / np.where(counts > 0, counts, np.nan)[:, None]
    safe_scale = np.where(scale > 0, scale, 1.0)
    scores = np.where(failed, np.inf, mae / safe_scale[:, None])
    # Without backtest rows every model scores NaN: keep the set's own order (first model first).
    order = np.argsort(np.nan_to_num(scores, nan=0.0), axis=1, kind="stable")
    # Only models within ``within`` times the best backtest error join a mean: a model that
    # misses a clear season should not dilute the ones that catch it.
    best = np.take_along_axis(scores, order[:, :1], axis=1)
    close = np.nan_to_num(scores, nan=np.inf) <= best * within + 1e-12
    n_ok = np.where(np.isfinite(best[:, 0]), (close & ~failed).sum(axis=1), (~failed).sum(axis=1))

    cap = max_combination if combine == "auto" else int(combine)
    cap = max(1, min(cap, n_models))
    combined = np.full((n_series, cap), np.inf)
    if len(preds):
        ranked = np.take_along_axis(preds, order[codes], axis=1)[:, :cap]
        running_mean = np.cumsum(ranked, axis=1) / np.arange(1, cap + 1)
        for k in range(cap):
            err = np.bincount(codes, np.abs(running_mean[:, k] - actual), n_series)
            combined[:, k] = err / np.where(counts > 0, counts, np.nan) / safe_scale
    allowed = np.arange(1, cap + 1)[None, :] <= n_ok[:, None]
    combined = np.where(allowed, np.nan_to_num(combined, nan=np.inf), np.inf)
    if combine == "auto":
        n_combined = combined.argmin(axis=1) + 1
    else:
        n_combined = np.minimum(cap, np.maximum(n_ok, 1))
    no_backtest = counts == 0
    n_combined = np.where(no_backtest, 1, n_combined)
    combined_score = np.where(
        no_backtest, np.nan, np.take_along_axis(combined, (n_combined - 1)[:, None], axis=1)[:, 0]
    )
    return Choice(series, order, n_combined, scores, combined_score, failed)


def combine_columns(
    frame: pd.DataFrame, columns: list[str], choice: Choice, codes: np.ndarray
) -> np.ndarray:
    """Mean of each row's chosen models, taking ``columns`` in the order of ``choice.order``."""
    values = frame[columns].to_numpy(dtype="float64")
    ranked = np.take_along_axis(values, choice.order[codes], axis=1)
    running_mean = np.cumsum(ranked, axis=1) / np.arange(1, values.shape[1] + 1)
    picked = (choice.n_combined[codes] - 1)[:, None]
    return np.take_along_axis(running_mean, picked, axis=1)[:, 0]


def _any_per_series(flags: np.ndarray, codes: np.ndarray, n_series: int) -> np.ndarray:
    if not len(flags):
        return np.zeros((n_series, flags.shape[1]), dtype=bool)
    hits = np.column_stack(
        [np.bincount(codes, flags[:, k].astype("float64"), n_series) for k in range(flags.shape[1])]
    )
    return hits > 0


def backtest_of_choice(
    cv: pd.DataFrame, model_names: list[str], choice: Choice, series: np.ndarray
) -> pd.DataFrame:
    """The chosen forecast in every backtest window: ``unique_id, ds, cutoff, horizon_step, y,
    forecast`` (clipped at zero, as the forecast itself is)."""
    codes = pd.Categorical(cv["unique_id"], categories=series).codes
    chosen = combine_columns(cv, model_names, choice, codes) if len(cv) else np.empty(0)
    frame = pd.DataFrame(
        {
            "unique_id": cv["unique_id"].to_numpy(),
            "ds": cv["ds"].to_numpy(),
            "cutoff": cv["cutoff"].to_numpy(),
            "y": cv["y"].to_numpy(dtype="float64"),
            "forecast": np.clip(chosen, 0.0, None),
        }
    )
    frame = frame.sort_values(["unique_id", "cutoff", "ds"], ignore_index=True)
    frame.insert(3, "horizon_step", frame.groupby(["unique_id", "cutoff"]).cumcount() + 1)
    return frame


def conformal_half_widths(backtest: pd.DataFrame, levels: list[int]) -> dict[int, pd.Series]:
    """Per series and level, the ``level`` % quantile of the backtest's absolute errors.

    ``forecast ± half width`` is a split-conformal interval built on the rolling-origin windows;
    it serves models without intervals of their own (Croston and friends).
    """
    if backtest.empty:
        return {}
    errors = (backtest["forecast"] - backtest["y"]).abs()
    grouped = errors.groupby(backtest["unique_id"].to_numpy())
    return {level: grouped.quantile(level / 100, interpolation="higher") for level in levels}


def describe_choice(
    members: pd.DataFrame,
    choice: Choice,
    model_names: list[str],
    usable: np.ndarray,
    earlier_failures: dict[str, str],
    set_name: str,
    plans: list[str],
) -> pd.DataFrame:
    """``unique_id, model, reason, fell_back`` for the series whose choice stands."""
    names = np.array(model_names)
    rows = []
    for i in np.flatnonzero(usable):
        uid = str(choice.series[i])
        ranked = names[choice.order[i]]
        k = int(choice.n_combined[i])
        label = "+".join(ranked[:k]) if k == 1 else "mean(" + "+".join(ranked[:k]) + ")"
        scores = choice.scores[i, choice.order[i]]
        cls = members["demand_class"].iloc[i]
        if np.isnan(choice.combined_score[i]):
            reason = f"{cls}: {set_name} models, no backtest possible, took {label}"
        else:
            reason = (
                f"{cls}: {set_name} models, backtest {plans[i]}: {label} MASE "
                f"{choice.combined_score[i]:.3f}"
            )
            if k > 1 or len(ranked) > 1:
                rival = 0 if k > 1 else 1
                reason += f" vs {ranked[rival]} {scores[rival]:.3f}"
        bad = names[choice.failed[i]]
        if len(bad):
            reason += "; failed: " + ", ".join(bad)
        if uid in earlier_failures:
            reason = f"fallback ({earlier_failures[uid]}); " + reason
        rows.append((uid, label, reason, bool(len(bad)) or uid in earlier_failures))
    return pd.DataFrame(rows, columns=["unique_id", "model", "reason", "fell_back"])


def nonfinite_per_series(values: np.ndarray, codes: np.ndarray, n_series: int) -> np.ndarray:
    """``n_series x n_models`` flags: the model gave a NaN or infinite value for the series."""
    bad = np.zeros((n_series, values.shape[1]), dtype=bool)
    rows, cols = np.nonzero(~np.isfinite(values))
    bad[codes[rows], cols] = True
    return bad
