"""Rolling-origin backtests and the choice of a model or a combination of a few.

Everything here works on whole blocks: one ``n_series x n_models`` error matrix per model set, so
the choice costs the same whether there are ten series or ten thousand.
"""

from __future__ import annotations

import itertools
import warnings
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
class Combination:
    """The mean or median of some of a model set's models (column indices into the backtest)."""

    members: tuple[int, ...]
    how: str = "mean"

    def label(self, names: list[str]) -> str:
        """``CES`` for one model, ``median(CES+OptimizedTheta+SeasonalNaive)`` for several."""
        parts = "+".join(names[j] for j in self.members)
        return parts if len(self.members) == 1 else f"{self.how}({parts})"


def candidate_combinations(n_models: int, max_size: int = 3) -> list[Combination]:
    """Every model alone, the mean of every pair and, from three models on, mean and median.

    >>> [c.label(["a", "b", "c"]) for c in candidate_combinations(3)]
    ['a', 'b', 'c', 'mean(a+b)', 'mean(a+c)', 'mean(b+c)', 'mean(a+b+c)', 'median(a+b+c)']
    """
    combos: list[Combination] = []
    for size in range(1, min(max_size, n_models) + 1):
        for members in itertools.combinations(range(n_models), size):
            combos.append(Combination(members, "mean"))
            if size >= 3:
                combos.append(Combination(members, "median"))
    return combos


@dataclass(frozen=True)
class Choice:
    """Outcome of the backtest for one group of series, rows aligned with ``series``.

    ``combination`` won the pooled backtest (``pooled_score``; ``runner_up`` and its score the
    best other candidate, which scores lower when the winner took a near tie, see
    ``near_tie``); ``members`` says which models each series actually combines (the winners less any
    that failed on that series) and ``how`` whether as mean or median. ``scores`` holds each
    model's backtest MASE per series, ``combined_score`` that of the series' own combination;
    ``failed`` marks models that raised or gave no number for a series; ``per_series`` says
    that each series took the candidate best on its own backtest rather than the group's winner.
    """

    series: np.ndarray
    combination: Combination
    pooled_score: float
    runner_up: Combination | None
    runner_up_score: float
    members: np.ndarray
    how: np.ndarray
    scores: np.ndarray
    combined_score: np.ndarray
    failed: np.ndarray
    per_series: bool = False
    near_tie: float = 0.0


# Candidates this close (relative) to the lowest pooled score count as tied with it; of those, the
# one combining the most models wins. Chosen with the split-half protocol of
# ``bench/forecast_rules.py`` (docs/forecasting.md): one model alone winning by a hair lost to
# the combination it nearly tied with.
NEAR_TIE = 0.01

# One series whose backtest blew up must not decide the choice for all the others.
_SCORE_CAP = 100.0


def choose_models(
    backtest: pd.DataFrame,
    model_names: list[str],
    series: np.ndarray,
    scale: np.ndarray,
    failed: np.ndarray,
    *,
    max_combination: int = 3,
    per_series: bool = False,
    near_tie: float = NEAR_TIE,
) -> Choice:
    """Pick the combination of models with the lowest backtest MASE over the whole group.

    ``backtest`` holds ``unique_id, y`` and one column per model; ``series`` lists the ids in the
    order of ``scale`` (in-sample seasonal-naive MAE) and of the rows of ``failed`` (models that
    raised). Every candidate of :func:`candidate_combinations` is scored on every series (MASE
    over its backtest windows, capped at 100) and the candidate with the lowest mean wins for all
    of them: choosing once for many series is far less noisy than choosing per series, where a
    few backtest windows decide (see ``docs/forecasting.md`` for the measured difference). A
    series on which a winning model failed combines the others; one on which all failed takes
    its own best model. A candidate within ``near_tie`` (relative) of the lowest mean ties with
    it, and of the tied ones the combination of the most models wins (then the lowest mean): a
    single model ahead by a hair is noise, a combination is the safer bet.
    ``per_series=True`` gives each series with a backtest the candidate best on its own backtest
    instead.
    """
    codes = pd.Categorical(backtest["unique_id"], categories=series).codes
    n_series, n_models = len(series), len(model_names)
    preds = backtest[model_names].to_numpy(dtype="float64")
    actual = backtest["y"].to_numpy(dtype="float64")
    counts = np.bincount(codes, minlength=n_series).astype("float64")
    failed = failed | _any_per_series(~np.isfinite(preds), codes, n_series)
    safe_scale = np.where(scale > 0, scale, 1.0)
    per_row = np.where(counts > 0, counts, np.nan) * safe_scale

    def mase(forecast: np.ndarray) -> np.ndarray:
        errors = np.abs(forecast - actual)
        finite = np.isfinite(errors)
        total = np.bincount(codes, np.where(finite, errors, 0.0), n_series)
        broken = np.bincount(codes, (~finite).astype("float64"), n_series) > 0
        return np.where(broken, np.inf, total / per_row)

    scores = np.column_stack([mase(preds[:, k]) for k in range(n_models)])
    scores = np.where(failed, np.inf, scores)
    masked = np.where(failed[codes], np.nan, preds)
    has_backtest = counts > 0
    candidates = candidate_combinations(n_models, max_combination)
    pooled = np.full(len(candidates), np.inf)
    own = np.full((n_series, len(candidates)), np.inf)
    if has_backtest.any():
        for k, combo in enumerate(candidates):
            own[:, k] = np.nan_to_num(
                mase(_combine(masked[:, list(combo.members)], combo.how)), nan=np.inf
            )
            pooled[k] = float(np.mean(np.minimum(own[has_backtest, k], _SCORE_CAP)))
    # Without any backtest the candidates keep the set's order: its first model stands.
    ranking = np.argsort(pooled, kind="stable")
    chosen = int(ranking[0])
    if np.isfinite(pooled[chosen]):
        tied = np.flatnonzero(pooled <= pooled[chosen] * (1 + near_tie))
        sizes = np.array([len(candidates[k].members) for k in tied])
        chosen = int(tied[np.lexsort((pooled[tied], -sizes))[0]])
    winner = candidates[chosen]
    others = ranking[ranking != chosen]
    runner_up = candidates[int(others[0])] if len(others) else None

    pick = np.full(n_series, chosen)
    if per_series:
        pick = np.where(has_backtest, np.argmin(own, axis=1), pick)
    in_candidate = np.zeros((len(candidates), n_models), dtype=bool)
    for k, combo in enumerate(candidates):
        in_candidate[k, list(combo.members)] = True
    members = in_candidate[pick] & ~failed
    lost_all = ~members.any(axis=1) & (~failed).any(axis=1)
    # The series' own best model; without a backtest, the first one that did not fail.
    own_best = np.argmin(np.where(failed, np.inf, np.nan_to_num(scores, nan=0.0)), axis=1)
    members[lost_all, own_best[lost_all]] = True
    how = np.where(members.sum(axis=1) >= 3, np.array([c.how for c in candidates])[pick], "mean")
    combined = _combine_rows(masked, members[codes], how[codes])
    combined_score = np.where(has_backtest, mase(combined), np.nan)
    return Choice(
        series,
        winner,
        float(pooled[chosen]),
        runner_up,
        float(pooled[others[0]]) if runner_up is not None else float("nan"),
        members,
        how,
        scores,
        combined_score,
        failed,
        per_series,
        near_tie,
    )


def _combine(values: np.ndarray, how: str) -> np.ndarray:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN rows stay NaN
        combined: np.ndarray = (
            np.nanmedian(values, axis=1) if how == "median" else np.nanmean(values, axis=1)
        )
        return combined


def _combine_rows(values: np.ndarray, members: np.ndarray, how: np.ndarray) -> np.ndarray:
    """Per row, the mean or median (``how``) of the columns flagged in ``members``."""
    chosen = np.where(members, values, np.nan)
    return np.where(how == "median", _combine(chosen, "median"), _combine(chosen, "mean"))


def combine_columns(
    frame: pd.DataFrame, columns: list[str], choice: Choice, codes: np.ndarray
) -> np.ndarray:
    """Each row's combination of ``columns`` (aligned with the models) as ``choice`` decided."""
    return combine_values(frame[columns].to_numpy(dtype="float64"), choice, codes)


def combine_values(values: np.ndarray, choice: Choice, codes: np.ndarray) -> np.ndarray:
    """Each row's combination of ``values`` (rows x models); NaN cells are left out."""
    return _combine_rows(values, choice.members[codes], choice.how[codes])


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
    group = int((~np.isnan(choice.combined_score)).sum())
    won = choice.combination.label(model_names)
    if group and choice.runner_up is not None:
        other = f"{choice.runner_up.label(model_names)} {choice.runner_up_score:.3f}"
        pooled = (
            f"won the backtest of {group} series (mean MASE {choice.pooled_score:.3f} vs {other})"
        )
        if choice.runner_up_score < choice.pooled_score:
            pooled = (
                f"won the backtest of {group} series (mean MASE {choice.pooled_score:.3f}, "
                f"within {choice.near_tie:.0%} of {other}: on a near tie, the most models)"
            )
    else:
        pooled = "no backtest possible, first model of the set"
    rows = []
    for i in np.flatnonzero(usable):
        uid = str(choice.series[i])
        used = Combination(tuple(np.flatnonzero(choice.members[i])), str(choice.how[i]))
        label = used.label(model_names)
        cls = members["demand_class"].iloc[i]
        if np.isnan(choice.combined_score[i]):
            reason = f"{cls}: {set_name} models, {won} {pooled}; no backtest of this series"
        else:
            scores = np.where(choice.failed[i], np.inf, choice.scores[i])
            best = int(np.argmin(scores))
            here = (
                f"backtest {plans[i]}: {label} MASE {choice.combined_score[i]:.3f}, "
                f"best single {names[best]} {scores[best]:.3f}"
            )
            if choice.per_series:
                reason = (
                    f"{cls}: {set_name} models, best on its own {here}; best over the set: "
                    f"{won} (mean MASE {choice.pooled_score:.3f})"
                )
            else:
                reason = f"{cls}: {set_name} models, {won} {pooled}; here, {here}"
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
