"""The statistical forecast: validate, classify, backtest, choose, forecast, with intervals.

``forecast(history, horizon)`` is the one call most users need; :class:`DemandForecaster` is the
same thing as an estimator (parameters in the constructor, ``fit`` returns self, results in
``result_``).
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import Any

import numpy as np
import pandas as pd
from statsforecast import StatsForecast
from statsforecast.models import NaNModel

from oneplan.engines.demand.accuracy import accuracy_table, seasonal_naive_scale
from oneplan.engines.demand.candidates import (
    FAST,
    MODEL_SET_BY_CLASS,
    MODEL_SETS,
    REGULAR,
    SHORT,
    SHORT_SEASONAL,
    THOROUGH,
    ModelSet,
    min_backtest_periods,
)
from oneplan.engines.demand.classify import classify_demand
from oneplan.engines.demand.distributed import on_cluster
from oneplan.engines.demand.selection import (
    NEAR_TIE,
    BacktestPlan,
    assign_plans,
    backtest_ladder,
    backtest_of_choice,
    choose_models,
    combine_columns,
    combine_values,
    conformal_half_widths,
    describe_choice,
    nonfinite_per_series,
)
from oneplan.engines.demand.validate import stale_series, validate_history
from oneplan.errors import InputError, Notice

SELECTION_COLUMNS = [
    "unique_id",
    "demand_class",
    "adi",
    "cv2",
    "n_obs",
    "model",
    "reason",
    "fell_back",
]
BACKTEST_COLUMNS = ["unique_id", "ds", "cutoff", "horizon_step", "y", "forecast"]


@dataclass(frozen=True)
class ForecastResult:
    """Frames of one forecast run (columns in ``docs/forecasting.md``) and what is worth a look in
    the input (``notices``: series that end far before the others)."""

    forecast: pd.DataFrame
    selection: pd.DataFrame
    backtest: pd.DataFrame
    accuracy: pd.DataFrame
    notices: tuple[Notice, ...] = ()


@dataclass
class _SetOutcome:
    forecast: list[pd.DataFrame] = field(default_factory=list)
    backtest: list[pd.DataFrame] = field(default_factory=list)
    selection: list[pd.DataFrame] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)


class DemandForecaster:
    """Model choice by rolling-origin backtest, as an estimator.

    >>> ds = pd.date_range("2020-01-01", periods=36, freq="MS")
    >>> h = pd.DataFrame({"unique_id": "a", "ds": ds, "y": [10.0, 20.0, 30.0] * 12})
    >>> result = DemandForecaster(horizon=3, season_length=3).fit(h).result_
    >>> result.forecast["forecast"].round(1).tolist()
    [10.0, 20.0, 30.0]
    """

    def __init__(
        self,
        horizon: int,
        *,
        freq: str = "MS",
        season_length: int = 12,
        levels: Sequence[int] = (80, 95),
        n_windows: int = 1,
        n_jobs: int = 1,
        max_combination: int = 3,
        choose: str = "set",
        near_tie: float = NEAR_TIE,
        max_history: int | None = None,
        new_item_periods: int = 6,
        phase_out_periods: int | None = None,
        thorough: bool = False,
        fast: bool = False,
        end: str = "per_series",
        engine: Any = None,
        progress: Callable[[int, int], None] | None = None,
    ) -> None:
        self.horizon = horizon
        self.freq = freq
        self.season_length = season_length
        self.levels = levels
        self.n_windows = n_windows
        self.n_jobs = n_jobs
        self.max_combination = max_combination
        self.choose = choose
        self.near_tie = near_tie
        self.max_history = max_history
        self.new_item_periods = new_item_periods
        self.phase_out_periods = phase_out_periods
        self.thorough = thorough
        self.fast = fast
        self.end = end
        self.engine = engine
        self.progress = progress

    def fit(self, history: pd.DataFrame) -> DemandForecaster:
        """Validate ``history`` (``unique_id, ds, y``), choose and forecast; sets ``result_``."""
        for setting in ("horizon", "n_windows"):
            if getattr(self, setting) < 1:
                message = f"must be at least 1, got {getattr(self, setting)}"
                raise InputError(message, table="arguments", column=setting)
        if not 0 <= self.near_tie < 1:
            message = f"must be at least 0 and below 1, got {self.near_tie}"
            raise InputError(message, table="arguments", column="near_tie")
        if self.choose not in ("set", "series"):
            message = f"must be 'set' or 'series', got {self.choose!r}"
            raise InputError(message, table="arguments", column="choose")
        m = self.season_length
        clean = validate_history(history, freq=self.freq, end=self.end)
        # Padded to a common end, no series ends early; otherwise old ends are worth a look.
        stale = (
            None if self.end == "global" else stale_series(clean, freq=self.freq, season_length=m)
        )
        classes = classify_demand(
            clean,
            min_backtest_periods=min_backtest_periods(m, self.n_windows),
            new_item_periods=self.new_item_periods,
            phase_out_periods=self.phase_out_periods or max(m, 6),
        )
        scale = seasonal_naive_scale(clean, m)
        self.classes_ = classes
        # Models are fitted on recent history only: older years describe another business, and
        # fitting time grows with length. Classes and the MASE scale use the whole history.
        limit = self.max_history or max(120, 10 * m)
        recent = clean.groupby("unique_id", sort=False, observed=True).tail(limit)
        # Each series is forecast from its own last period (all the same with end="global").
        self.series_ends_ = clean.groupby("unique_id", sort=False, observed=True)["ds"].max()

        set_name = classes["demand_class"].map(
            lambda c: MODEL_SET_BY_CLASS[c].name if c in MODEL_SET_BY_CLASS else ""
        )
        seasonal_short = (classes["demand_class"] == "too_short") & (m > 1)
        seasonal_short &= classes["n_obs"] >= SHORT_SEASONAL.min_train(m) + 1
        set_name = set_name.mask(seasonal_short, SHORT_SEASONAL.name)
        if self.thorough and self.fast:
            raise InputError("cannot be both fast and thorough", table="arguments", column="fast")
        if self.thorough:
            set_name = set_name.replace(REGULAR.name, THOROUGH.name)
        if self.fast:
            set_name = set_name.replace(REGULAR.name, FAST.name)
        outcome = _SetOutcome()
        done = 0
        if self.progress is not None:
            self.progress(done, len(classes))
        for name, members in classes.groupby(set_name.to_numpy(), sort=False):
            if name:
                self._forecast_set(recent, members, MODEL_SETS[str(name)], scale, outcome)
            done += len(members)
            if self.progress is not None:
                self.progress(done, len(classes))
        if outcome.failed:
            # One odd item never sinks a run: retry it with the simple models, then with zero.
            first_failures = dict(outcome.failed)
            outcome.failed.clear()
            retry = classes[classes["unique_id"].isin(list(first_failures))]
            self._forecast_set(recent, retry, SHORT, scale, outcome, first_failures)
        zero_ids = classes.loc[classes["demand_class"] == "zero", "unique_id"].tolist()
        self._zero_forecast(classes, zero_ids, outcome, {})
        if outcome.failed:
            self._zero_forecast(classes, list(outcome.failed), outcome, dict(outcome.failed))

        forecast = pd.concat(outcome.forecast, ignore_index=True)
        forecast = forecast.sort_values(["unique_id", "ds"], ignore_index=True)
        backtest = _concat(outcome.backtest, BACKTEST_COLUMNS)
        backtest = backtest.sort_values(["unique_id", "cutoff", "ds"], ignore_index=True)
        chosen = pd.concat(outcome.selection, ignore_index=True)
        selection = classes.merge(chosen, on="unique_id", how="left")[SELECTION_COLUMNS]
        accuracy = accuracy_table(backtest, scale=scale)
        notices = () if stale is None else (stale,)
        self.result_ = ForecastResult(forecast, selection, backtest, accuracy, notices)
        return self

    def _forecast_set(
        self,
        clean: pd.DataFrame,
        members: pd.DataFrame,
        model_set: ModelSet,
        scale: pd.Series,
        outcome: _SetOutcome,
        earlier_failures: dict[str, str] | None = None,
    ) -> None:
        m, levels = self.season_length, list(self.levels)
        ids = members["unique_id"].to_numpy()
        history = clean[clean["unique_id"].isin(ids)]
        names = [repr(model) for model in model_set.build(m)]
        ladder = backtest_ladder(self.horizon, self.n_windows)
        n_obs = history.groupby("unique_id", sort=False).size().reindex(ids).to_numpy()
        plan_index = assign_plans(n_obs, ladder, model_set.min_train(m))

        failures: dict[str, str] = {}
        backtests = []
        for index in np.unique(plan_index[plan_index >= 0]):
            plan = ladder[int(index)]
            part = history[history["unique_id"].isin(ids[plan_index == index])]
            run = self._run_models(model_set.build, partial(_cross_validate, plan=plan))
            backtests.append(_isolate(run, part, failures))
        cv = _concat(backtests, ["unique_id", "ds", "cutoff", "y", *names])
        future = self._final_forecast(model_set, history, failures)
        bounds = [f"{n}-{side}-{lv}" for n in names for lv in levels for side in ("lo", "hi")]
        expected = ["unique_id", "ds", *names, *(bounds if model_set.native_intervals else [])]
        # A series whose models all fell back to NaN may leave out interval columns.
        future = future.reindex(columns=expected).sort_values(
            ["unique_id", "ds"], ignore_index=True
        )

        codes = pd.Categorical(future["unique_id"], categories=ids).codes
        failed = nonfinite_per_series(future[names].to_numpy(), codes, len(ids))
        failed[np.isin(ids, list(failures))] = True
        choice = choose_models(
            cv,
            names,
            ids,
            scale.reindex(ids).to_numpy(),
            failed,
            max_combination=self.max_combination,
            per_series=self.choose == "series",
            near_tie=self.near_tie,
        )
        usable = (~choice.failed).any(axis=1) & ~np.isin(ids, list(failures))
        for uid, bad in zip(ids[~usable], choice.failed[~usable], strict=True):
            failures.setdefault(
                str(uid), "no finite forecast from " + ", ".join(np.array(names)[bad])
            )
        outcome.failed.update(failures)
        if not usable.any():
            return
        kept = ids[usable]
        future = future[future["unique_id"].isin(kept)]
        cv = cv[cv["unique_id"].isin(kept)]
        bt = backtest_of_choice(cv, names, choice, ids)
        point = combine_columns(
            future, names, choice, pd.Categorical(future["unique_id"], categories=ids).codes
        )
        frame = pd.DataFrame(
            {
                "unique_id": future["unique_id"].to_numpy(),
                "ds": future["ds"].to_numpy(),
                "forecast": point,
            }
        )
        conformal = conformal_half_widths(bt, levels)
        fcodes = pd.Categorical(future["unique_id"], categories=ids).codes
        for level in levels:
            half = (
                future["unique_id"].map(conformal[level]).to_numpy(dtype="float64")
                if level in conformal
                else np.full(len(future), np.nan)
            )
            lo, hi = point - half, point + half
            if model_set.native_intervals:
                # Each member's distance to its bounds, combined like the points, around the
                # combined point; members without bounds of their own (point_only) are left out.
                values = future[names].to_numpy(dtype="float64")
                below = values - future[[f"{n}-lo-{level}" for n in names]].to_numpy("float64")
                above = future[[f"{n}-hi-{level}" for n in names]].to_numpy("float64") - values
                below, above = (combine_values(d, choice, fcodes) for d in (below, above))
                lo = np.where(np.isfinite(below), point - below, lo)
                hi = np.where(np.isfinite(above), point + above, hi)
            frame[f"forecast-lo-{level}"] = np.where(np.isfinite(lo), lo, point)
            frame[f"forecast-hi-{level}"] = np.where(np.isfinite(hi), hi, point)
        value_columns = [c for c in frame.columns if c.startswith("forecast")]
        frame[value_columns] = frame[value_columns].clip(lower=0.0)
        outcome.forecast.append(frame)
        outcome.backtest.append(bt)
        outcome.selection.append(
            describe_choice(
                members,
                choice,
                names,
                usable,
                earlier_failures or {},
                model_set.name,
                [ladder[j].label if j >= 0 else "" for j in plan_index],
            )
        )

    def _final_forecast(
        self, model_set: ModelSet, history: pd.DataFrame, failures: dict[str, str]
    ) -> pd.DataFrame:
        """Every model's forecast, with native intervals unless the model is ``point_only``."""
        parts = []
        for with_levels in (True, False):
            build = partial(_some_models, model_set, with_levels)
            if not build(self.season_length):
                continue
            level = list(self.levels) if with_levels else None
            run = self._run_models(build, partial(_forecast, h=self.horizon, level=level))
            parts.append(_isolate(run, history, failures))
        parts = [p for p in parts if not p.empty]
        if not parts:
            return pd.DataFrame(columns=["unique_id", "ds"])
        future = parts[0]
        for part in parts[1:]:
            future = future.merge(part, on=["unique_id", "ds"], how="outer")
        return future

    def _run_models(
        self,
        build: Callable[[int], list[Any]],
        call: Callable[[StatsForecast, pd.DataFrame], pd.DataFrame],
    ) -> Callable[[pd.DataFrame], pd.DataFrame]:
        def run(df: pd.DataFrame) -> pd.DataFrame:
            sf = StatsForecast(
                models=build(self.season_length),
                freq=self.freq,
                n_jobs=self.n_jobs if df["unique_id"].nunique() > 50 else 1,
                fallback_model=NaNModel(),
            )
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                if self.engine is not None:
                    return on_cluster(partial(call, sf), df, self.engine)
                return call(sf, df)

        return run

    def _zero_forecast(
        self, classes: pd.DataFrame, ids: list[str], outcome: _SetOutcome, failures: dict[str, str]
    ) -> None:
        if not ids:
            return
        frame = pd.DataFrame(
            {
                "unique_id": np.repeat(ids, self.horizon),
                "ds": future_periods(self.series_ends_.reindex(ids), self.horizon, self.freq),
                "forecast": 0.0,
            }
        )
        for level in self.levels:
            frame[f"forecast-lo-{level}"] = 0.0
            frame[f"forecast-hi-{level}"] = 0.0
        outcome.forecast.append(frame)
        reasons = [
            f"fallback to zero: {failures[i]}"
            if i in failures
            else "zero: no demand in recent periods"
            for i in ids
        ]
        outcome.selection.append(
            pd.DataFrame(
                {
                    "unique_id": ids,
                    "model": "Zero",
                    "reason": reasons,
                    "fell_back": [i in failures for i in ids],
                }
            )
        )
        for i in ids:
            outcome.failed.pop(i, None)


def forecast(
    history: pd.DataFrame,
    horizon: int,
    *,
    freq: str = "MS",
    season_length: int = 12,
    levels: Sequence[int] = (80, 95),
    n_windows: int = 1,
    n_jobs: int = 1,
    **options: Any,
) -> ForecastResult:
    """Forecast every series in ``history`` (``unique_id, ds, y``) ``horizon`` periods ahead.

    ``options`` go to :class:`DemandForecaster`: ``max_combination``, ``choose`` (``"set"``:
    one winner per model set, ``"series"``: each series its own), ``near_tie`` (relative
    distance to the lowest backtest error within which the combination of most models wins),
    ``max_history``,
    ``new_item_periods``, ``phase_out_periods``, ``thorough``, ``fast`` (the cheaper regular
    models), ``end`` (``"per_series"``: each series is forecast from its own last period;
    ``"global"``: every series is padded with zero demand to the latest period of all and
    forecast from there), ``engine`` (a Dask ``Client`` to
    fit the models on a cluster) and ``progress`` (called with series done and series in all).

    >>> ds = pd.date_range("2020-01-01", periods=30, freq="MS")
    >>> h = pd.DataFrame({"unique_id": "a", "ds": ds, "y": [0.0, 0.0, 5.0] * 10})
    >>> str(forecast(h, 3).selection.loc[0, "demand_class"])
    'intermittent'
    """
    estimator = DemandForecaster(
        horizon,
        freq=freq,
        season_length=season_length,
        levels=levels,
        n_windows=n_windows,
        n_jobs=n_jobs,
        **options,
    )
    return estimator.fit(history).result_


def future_periods(ends: pd.Series, horizon: int, freq: str) -> np.ndarray:
    """The ``horizon`` periods after each date of ``ends``, series after series.

    >>> ends = pd.Series(pd.to_datetime(["2024-01-01", "2023-06-01"]))
    >>> pd.DatetimeIndex(future_periods(ends, 2, "MS")).strftime("%Y-%m").tolist()
    ['2024-02', '2024-03', '2023-07', '2023-08']
    """
    offset = pd.tseries.frequencies.to_offset(freq)
    starts = pd.DatetimeIndex(ends.to_numpy())
    steps = [starts + k * offset for k in range(1, horizon + 1)]
    return np.column_stack([s.to_numpy() for s in steps]).ravel()


def _isolate(
    run: Callable[[pd.DataFrame], pd.DataFrame], history: pd.DataFrame, failures: dict[str, str]
) -> pd.DataFrame:
    """Run on all series at once; if that raises, halve the batch until the culprits are alone."""
    try:
        return run(history)
    except Exception as error:
        ids = history["unique_id"].unique()
        if len(ids) == 1:
            failures[str(ids[0])] = f"{type(error).__name__}: {error}"[:200]
            return pd.DataFrame()
        halves = [ids[: len(ids) // 2], ids[len(ids) // 2 :]]
        parts = [_isolate(run, history[history["unique_id"].isin(h)], failures) for h in halves]
        return pd.concat([p for p in parts if not p.empty] or [pd.DataFrame()], ignore_index=True)


def _concat(frames: list[pd.DataFrame], columns: list[str]) -> pd.DataFrame:
    frames = [f for f in frames if not f.empty]
    if not frames:
        return pd.DataFrame({c: pd.Series(dtype="float64") for c in columns})
    return pd.concat(frames, ignore_index=True)


def _some_models(model_set: ModelSet, with_levels: bool, season_length: int) -> list[Any]:
    """The set's models asked for intervals (``with_levels``), or those asked for points only."""
    return [
        model
        for model in model_set.build(season_length)
        if (model_set.native_intervals and repr(model) not in model_set.point_only) == with_levels
    ]


def _forecast(
    engine: StatsForecast, df: pd.DataFrame, h: int, level: list[int] | None
) -> pd.DataFrame:
    result: pd.DataFrame = engine.forecast(h=h, df=df, level=level)
    return result


def _cross_validate(engine: StatsForecast, df: pd.DataFrame, plan: BacktestPlan) -> pd.DataFrame:
    result: pd.DataFrame = engine.cross_validation(
        h=plan.h, df=df, n_windows=plan.n_windows, step_size=plan.step
    )
    return result
