"""Which statsforecast models compete for a series, by demand class.

Each *model set* is a list of statsforecast models that are backtested side by side; the model or
combination of models with the lowest backtest error over all series of the set wins. The sets
stay small on purpose: every model costs one fit per backtest window plus one for the forecast.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from statsforecast.models import (
    ADIDA,
    IMAPA,
    TSB,
    AutoARIMA,
    AutoCES,
    AutoETS,
    AutoTheta,
    CrostonClassic,
    CrostonOptimized,
    CrostonSBA,
    DynamicOptimizedTheta,
    HistoricAverage,
    Naive,
    RandomWalkWithDrift,
    SeasonalNaive,
    SimpleExponentialSmoothingOptimized,
    Theta,
)


@dataclass(frozen=True)
class ModelSet:
    """A named family of candidate models.

    ``build(season_length)`` returns fresh model instances; ``native_intervals`` says whether all of
    them give prediction intervals themselves (otherwise intervals come from the backtest errors);
    ``min_train`` is the shortest training stretch a backtest window may use; ``point_only`` names
    models asked for their point forecast only (their intervals take the other members' widths).
    """

    name: str
    build: Callable[[int], list[Any]]
    native_intervals: bool
    min_train: Callable[[int], int]
    point_only: frozenset[str] = frozenset()


def _regular(season_length: int) -> list[Any]:
    # Chosen with the pooled choice and its near-tie rule on one seeded half of M1 and Tourism
    # and scored on the other, both ways (docs/forecasting.md, "Accuracy"): AutoETS and AutoARIMA
    # cost far more than the budget, and these six beat every single model and the median of
    # AutoETS, DynamicOptimizedTheta and AutoCES on both held-out halves.
    return [
        AutoCES(season_length=season_length),
        DynamicOptimizedTheta(season_length=season_length),
        Theta(season_length=season_length),
        SeasonalNaive(season_length=season_length),
        RandomWalkWithDrift(),
        SimpleExponentialSmoothingOptimized(),
    ]


def _fast(season_length: int) -> list[Any]:
    # The regular models less AutoCES, the costliest of them on short monthly series.
    return [
        DynamicOptimizedTheta(season_length=season_length),
        Theta(season_length=season_length),
        SeasonalNaive(season_length=season_length),
        RandomWalkWithDrift(),
        SimpleExponentialSmoothingOptimized(),
    ]


def _thorough(season_length: int) -> list[Any]:
    # AutoETS and AutoARIMA alone cost many times the regular set: opt-in.
    return [
        *_regular(season_length),
        AutoETS(season_length=season_length),
        AutoETS(season_length=season_length, model="ZZN", damped=True, alias="DampedTrend"),
        AutoTheta(season_length=season_length),
        AutoARIMA(season_length=season_length),
    ]


def _sporadic(season_length: int) -> list[Any]:
    return [
        CrostonClassic(),
        CrostonSBA(),
        CrostonOptimized(),
        TSB(alpha_d=0.2, alpha_p=0.2),
        ADIDA(),
        IMAPA(),
    ]


def _short_seasonal(season_length: int) -> list[Any]:
    return [Naive(), HistoricAverage(), SeasonalNaive(season_length=season_length)]


def _short(season_length: int) -> list[Any]:
    return [Naive(), HistoricAverage()]


def _new(season_length: int) -> list[Any]:
    return [HistoricAverage()]


# AutoCES simulates thousands of paths per series for its intervals (nine tenths of the set's
# time); statsforecast's SES has no intervals of its own and would fail when asked for them.
_POINT_ONLY = frozenset({"CES", "SESOpt"})
REGULAR = ModelSet("regular", _regular, True, lambda m: max(m + 2, 6), _POINT_ONLY)
FAST = ModelSet("fast", _fast, True, REGULAR.min_train, _POINT_ONLY)
THOROUGH = ModelSet("thorough", _thorough, True, REGULAR.min_train, _POINT_ONLY)
SPORADIC = ModelSet("sporadic", _sporadic, False, lambda m: 6)
SHORT_SEASONAL = ModelSet("short_seasonal", _short_seasonal, True, lambda m: m + 1)
SHORT = ModelSet("short", _short, True, lambda m: 2)
NEW = ModelSet("new", _new, True, lambda m: 2)

MODEL_SET_BY_CLASS = {
    "smooth": REGULAR,
    "erratic": REGULAR,
    "intermittent": SPORADIC,
    "lumpy": SPORADIC,
    "too_short": SHORT,
    "new": NEW,
}
MODEL_SETS = {s.name: s for s in (REGULAR, FAST, THOROUGH, SPORADIC, SHORT_SEASONAL, SHORT, NEW)}


def min_backtest_periods(season_length: int, n_windows: int) -> int:
    """Fewest observations for which the full model sets can be backtested (one-step windows).

    >>> min_backtest_periods(12, 2)
    16
    """
    return max(REGULAR.min_train(season_length), SPORADIC.min_train(season_length)) + n_windows
