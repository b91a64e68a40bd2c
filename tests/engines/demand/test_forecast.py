"""The forecast end to end on small synthetic series."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest
from statsforecast import StatsForecast
from statsforecast.models import HistoricAverage, Naive, RandomWalkWithDrift

from oneplan.engines.demand import DemandForecaster, forecast
from oneplan.engines.demand.candidates import MODEL_SETS, ModelSet
from oneplan.errors import InputError

SEASON = [10.0, 30.0, 20.0, 50.0]


def _series(uid: str, y: list[float] | np.ndarray, start: str = "2020-01-01") -> pd.DataFrame:
    ds = pd.date_range(start, periods=len(y), freq="MS")
    return pd.DataFrame({"unique_id": uid, "ds": ds, "y": np.asarray(y, dtype=float)})


def test_pure_season_is_reproduced_with_ordered_intervals() -> None:
    history = _series("s", SEASON * 9)
    result = forecast(history, 8, season_length=4, levels=(80, 95))
    np.testing.assert_allclose(result.forecast["forecast"], SEASON * 2, atol=0.5)
    f = result.forecast
    assert list(f.columns) == [
        "unique_id", "ds", "forecast",
        "forecast-lo-80", "forecast-hi-80", "forecast-lo-95", "forecast-hi-95",
    ]  # fmt: skip
    assert (f["forecast-lo-95"] <= f["forecast-lo-80"] + 1e-9).all()
    assert (f["forecast-lo-80"] <= f["forecast"] + 1e-9).all()
    assert (f["forecast"] <= f["forecast-hi-80"] + 1e-9).all()
    assert (f["forecast-hi-80"] <= f["forecast-hi-95"] + 1e-9).all()
    assert f["ds"].iloc[0] == pd.Timestamp("2023-01-01")
    row = result.selection.iloc[0]
    assert row["demand_class"] == "smooth"
    # a model that cannot fit a noiseless season is recorded, not fatal
    assert row["fell_back"] == ("failed:" in row["reason"])
    assert result.accuracy.loc[0, "wape"] < 0.05


def test_intermittent_item_gets_an_intermittent_model_and_conformal_bounds() -> None:
    rng = np.random.default_rng(7)
    y = np.where(rng.random(40) < 0.3, rng.integers(2, 9, 40), 0)
    result = forecast(_series("spare-part", y), 6, levels=(90,))
    row = result.selection.iloc[0]
    assert row["demand_class"] in {"intermittent", "lumpy"}
    sporadic = {"CrostonClassic", "CrostonSBA", "CrostonOptimized", "TSB", "ADIDA", "IMAPA"}
    chosen = set(row["model"].removeprefix("mean(").removesuffix(")").split("+"))
    assert chosen <= sporadic
    f = result.forecast
    assert (f["forecast-lo-90"] >= 0).all()
    assert (f["forecast-hi-90"] > f["forecast"]).all()
    # the half width is a quantile of the backtest's absolute errors
    errors = (result.backtest["forecast"] - result.backtest["y"]).abs()
    half = (f["forecast-hi-90"] - f["forecast"]).iloc[0]
    assert np.isclose(errors, half).any()


def test_backtest_windows_and_accuracy_are_consistent() -> None:
    history = _series("s", (np.array(SEASON * 9) + np.arange(36)).tolist())
    result = forecast(history, 4, season_length=4, n_windows=3)
    bt = result.backtest
    assert bt.groupby("cutoff").size().tolist() == [4, 4, 4]
    assert sorted(bt["horizon_step"].unique()) == [1, 2, 3, 4]
    actual = history.set_index("ds")["y"]
    np.testing.assert_allclose(bt["y"], actual.loc[bt["ds"]].to_numpy())
    wape = (bt["forecast"] - bt["y"]).abs().sum() / bt["y"].sum()
    assert result.accuracy.loc[0, "wape"] == pytest.approx(wape)


def test_classes_zero_new_and_short_get_simple_forecasts() -> None:
    history = pd.concat(
        [
            _series("phased-out", [5.0] * 12 + [0.0] * 12),
            _series("new", [4.0, 6.0, 5.0], start="2021-10-01"),
            _series(
                "short", [4.0, 6.0, 5.0, 7.0, 5.0, 6.0, 4.0, 6.0, 5.0, 7.0], start="2021-03-01"
            ),
        ]
    )
    result = forecast(history, 3)
    selection = result.selection.set_index("unique_id")
    assert selection["demand_class"].to_dict() == {
        "new": "new", "phased-out": "zero", "short": "too_short"
    }  # fmt: skip
    f = result.forecast.set_index("unique_id")
    assert (f.loc["phased-out", "forecast"] == 0).all()
    assert selection.loc["new", "model"] == "HistoricAverage"
    np.testing.assert_allclose(f.loc["new", "forecast"], 5.0)
    assert not selection["fell_back"].any()


def test_zero_month_gaps_are_filled_before_classification() -> None:
    history = _series("gappy", [6.0] * 30).iloc[::3]
    result = forecast(history, 3)
    row = result.selection.iloc[0]
    assert row["n_obs"] == 28 and row["adi"] == pytest.approx(28 / 10)


class _BrokenOnOddItems(Naive):  # type: ignore[misc]
    """Raises for series whose last value is 13, as a model may on an odd item."""

    def __init__(self) -> None:
        super().__init__(alias="Brittle")

    def forecast(
        self,
        y: np.ndarray,
        h: int,
        X: Any = None,
        X_future: Any = None,
        level: list[int] | None = None,
        fitted: bool = False,
    ) -> dict[str, Any]:
        if y[-1] == 13.0:
            raise RuntimeError("cannot fit this item")
        result: dict[str, Any] = super().forecast(
            y=y, h=h, X=X, X_future=X_future, level=level, fitted=fitted
        )
        return result


def _brittle_set(failing_only: bool) -> ModelSet:
    def build(season_length: int) -> list[Any]:
        return [_BrokenOnOddItems()] if failing_only else [_BrokenOnOddItems(), HistoricAverage()]

    return ModelSet("regular", build, True, lambda m: 6)


def test_a_failing_model_is_recorded_and_the_run_goes_on(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(MODEL_SETS, "regular", _brittle_set(failing_only=False))
    history = pd.concat([_series("fine", [10.0, 12.0] * 12), _series("odd", [12.0, 13.0] * 12)])
    result = forecast(history, 2, season_length=1)
    selection = result.selection.set_index("unique_id")
    assert not selection.loc["fine", "fell_back"]
    assert selection.loc["odd", "fell_back"]
    assert "failed: Brittle" in selection.loc["odd", "reason"]
    assert selection.loc["odd", "model"] == "HistoricAverage"
    assert result.forecast["forecast"].notna().all()


def test_a_series_no_candidate_can_fit_falls_back(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(MODEL_SETS, "regular", _brittle_set(failing_only=True))
    history = pd.concat([_series("fine", [10.0, 12.0] * 12), _series("odd", [12.0, 13.0] * 12)])
    result = forecast(history, 2, season_length=1)
    selection = result.selection.set_index("unique_id")
    assert selection.loc["fine", "model"] == "Brittle"
    assert selection.loc["odd", "fell_back"]
    assert selection.loc["odd", "reason"].startswith("fallback (no finite forecast from Brittle)")
    odd = result.forecast[result.forecast["unique_id"] == "odd"]
    assert odd["forecast"].between(12.0, 13.0).all()


def test_the_winning_combination_is_computed_and_falls_back_per_series(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def build(season_length: int) -> list[Any]:
        return [_BrokenOnOddItems(), HistoricAverage(), RandomWalkWithDrift()]

    monkeypatch.setitem(MODEL_SETS, "regular", ModelSet("regular", build, True, lambda m: 6))
    rng = np.random.default_rng(4)
    history = pd.concat(
        [
            _series("fine", np.r_[rng.normal(20, 3, 23).round(), 14.0]),
            _series("odd", np.r_[rng.normal(20, 3, 23).round(), 13.0]),
        ]
    )
    # a wide near tie: the combination of all three wins for the set
    result = forecast(history, 2, season_length=1, near_tie=0.5)
    selection = result.selection.set_index("unique_id")
    assert selection.loc["fine", "model"] == "mean(Brittle+HistoricAverage+RWD)"
    assert "on a near tie, the most models" in selection.loc["fine", "reason"]
    assert selection.loc["odd", "model"] == "mean(HistoricAverage+RWD)"
    assert selection.loc["odd", "fell_back"] and not selection.loc["fine", "fell_back"]
    # recomputed apart: each model alone through statsforecast, then combined by hand
    alone = StatsForecast(
        models=[Naive(), HistoricAverage(), RandomWalkWithDrift()], freq="MS"
    ).forecast(h=2, df=history)
    by_hand = np.where(
        alone["unique_id"] == "fine",
        alone[["Naive", "HistoricAverage", "RWD"]].mean(axis=1),
        alone[["HistoricAverage", "RWD"]].mean(axis=1),
    )
    np.testing.assert_allclose(result.forecast["forecast"], by_hand)
    with pytest.raises(InputError, match=r"below 1, got 1\.5") as error:
        forecast(history, 2, near_tie=1.5)
    assert error.value.column == "near_tie"


def test_estimator_stores_parameters_and_learned_state() -> None:
    estimator = DemandForecaster(horizon=2, season_length=4)
    assert not hasattr(estimator, "result_")
    assert estimator.fit(_series("s", SEASON * 6)) is estimator
    assert set(estimator.classes_["demand_class"]) == {"smooth"}


def test_bad_history_raises_before_any_model_runs() -> None:
    with pytest.raises(InputError, match=r"^history, row 0, column y: has 1 negative") as error:
        forecast(pd.DataFrame({"unique_id": ["a"], "ds": ["2024-01-01"], "y": [-1.0]}), 3)
    assert (error.value.table, error.value.column) == ("history", "y")


@pytest.mark.slow
def test_dask_cluster_gives_the_local_numbers() -> None:
    """A two-worker local cluster (about 20 s on an idle 2-core machine)."""
    import distributed

    rng = np.random.default_rng(3)
    # one model set and one backtest plan keep the cluster round trips to three
    history = pd.concat(
        [_series(f"s{i}", np.array(SEASON * 8) * (1 + i) + rng.normal(0, 1, 32)) for i in range(2)]
    )
    local = forecast(history, 4, season_length=4)
    with (
        distributed.LocalCluster(n_workers=2, processes=True, threads_per_worker=1) as cluster,
        distributed.Client(cluster) as client,
    ):
        remote = forecast(history, 4, season_length=4, engine=client)
    pd.testing.assert_series_equal(remote.selection["model"], local.selection["model"])
    np.testing.assert_allclose(
        remote.forecast["forecast"], local.forecast["forecast"], rtol=1e-4, atol=1e-4
    )
    np.testing.assert_allclose(
        remote.backtest["forecast"], local.backtest["forecast"], rtol=1e-4, atol=1e-4
    )


def test_ces_is_asked_for_points_only_and_the_others_for_intervals() -> None:
    from oneplan.engines.demand.candidates import REGULAR, SPORADIC
    from oneplan.engines.demand.forecast import _some_models

    with_levels = [repr(m) for m in _some_models(REGULAR, True, 12)]
    assert "CES" not in with_levels and "DynamicOptimizedTheta" in with_levels
    assert [repr(m) for m in _some_models(REGULAR, False, 12)] == ["CES", "SESOpt"]
    assert _some_models(SPORADIC, True, 12) == []
    assert len(_some_models(SPORADIC, False, 12)) == len(SPORADIC.build(12))


def test_a_long_history_is_fitted_on_its_latest_periods_only() -> None:
    rng = np.random.default_rng(5)
    # 20 years: a level of 1,000 that dropped to 100 ten years ago
    y = np.r_[np.full(120, 1000.0), np.full(120, 100.0)] + rng.normal(0, 5, 240)
    full = forecast(_series("s", y), 6, season_length=12, max_history=240)
    recent = forecast(_series("s", y), 6, season_length=12)
    assert recent.selection.loc[0, "n_obs"] == 240
    assert recent.forecast["forecast"].between(80, 120).all()
    assert full.forecast["forecast"].mean() != pytest.approx(recent.forecast["forecast"].mean())


def test_every_regular_model_gives_a_forecast_with_or_without_intervals() -> None:
    rng = np.random.default_rng(9)
    months = np.arange(48)
    history = pd.concat(
        [
            _series(f"s{i}", 100 + 30 * np.sin(2 * np.pi * months / 12) + rng.normal(0, 8, 48))
            for i in range(3)
        ]
    )
    result = forecast(history, 6, levels=(90,))
    assert set(result.selection["demand_class"]) == {"smooth"}
    # a model failing on every series (one asked for intervals it has not) would show here
    assert not result.selection["fell_back"].any(), result.selection["reason"].tolist()
    f = result.forecast
    assert (f["forecast-lo-90"] < f["forecast"]).all() and (
        f["forecast"] < f["forecast-hi-90"]
    ).all()


def test_choice_per_set_or_per_series_is_said_in_the_reason() -> None:
    rng = np.random.default_rng(2)
    history = pd.concat(
        [_series(f"s{i}", np.array(SEASON * 9) + rng.normal(0, 2, 36)) for i in range(3)]
    )
    per_set = forecast(history, 4, season_length=4).selection
    assert per_set["model"].nunique() == 1
    assert per_set["reason"].str.contains("won the backtest of 3 series").all()
    per_series = forecast(history, 4, season_length=4, choose="series").selection
    assert per_series["reason"].str.contains("best on its own backtest").all()
    with pytest.raises(InputError, match="must be 'set' or 'series', got 'item'") as error:
        forecast(history, 4, choose="item")
    assert (error.value.table, error.value.column) == ("arguments", "choose")


def _seasonal(uid: str, end: str, months: int, level: float, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    ds = pd.date_range(end=end, periods=months, freq="MS")
    y = level * (1 + 0.3 * np.sin(np.arange(months) * 2 * np.pi / 12)) + rng.normal(0, 3, months)
    return pd.DataFrame({"unique_id": uid, "ds": ds, "y": np.round(y)})


def _mixed_ends() -> pd.DataFrame:
    rng = np.random.default_rng(3)
    spare = np.where(rng.random(40) < 0.3, rng.integers(2, 9, 40), 0)
    return pd.concat(
        [
            _seasonal("ended-2019", "2019-12-01", 48, 100.0, 1),
            _series("spare-part", spare, start="2021-03-01"),  # ends 2024-06
            _series("new", [4.0, 6.0, 5.0], start="2023-09-01"),  # ends 2023-11
        ],
        ignore_index=True,
    )


def test_each_series_is_forecast_from_the_period_after_its_own_end() -> None:
    history = _mixed_ends()
    result = forecast(history, 4)
    last = history.groupby("unique_id")["ds"].max()
    for uid, frame in result.forecast.groupby("unique_id"):
        expected = pd.date_range(last[uid], periods=5, freq="MS")[1:]
        assert frame["ds"].tolist() == expected.tolist(), uid
    # the backtest, too, ends where each series ends
    assert result.backtest.groupby("unique_id")["ds"].max().to_dict() == {
        uid: last[uid] for uid in result.backtest["unique_id"].unique()
    }
    assert result.selection.set_index("unique_id").loc["ended-2019", "demand_class"] == "smooth"


def test_a_series_alone_and_inside_a_mixed_file_gets_the_same_forecast() -> None:
    history = _mixed_ends()
    mixed = forecast(history, 6).forecast
    for uid in history["unique_id"].unique():
        alone = forecast(history[history["unique_id"] == uid], 6).forecast
        inside = mixed[mixed["unique_id"] == uid].reset_index(drop=True)
        pd.testing.assert_frame_equal(alone, inside, obj=uid)


def test_series_ending_long_before_the_others_are_reported() -> None:
    result = forecast(_mixed_ends(), 3)
    (notice,) = result.notices
    assert notice.message.startswith("1 of 3 series end more than 12 periods before the newest")
    assert "'ended-2019' (2019-12-01)" in notice.message
    # padded to a common end (the cycle's way), no series ends early and nothing is reported
    padded = forecast(_mixed_ends(), 3, end="global")
    assert padded.notices == ()
    assert padded.forecast["ds"].min() == pd.Timestamp("2024-07-01")


def test_fast_fits_the_regular_models_less_ces_and_says_so() -> None:
    from oneplan.engines.demand.candidates import FAST, REGULAR

    regular = [repr(m) for m in REGULAR.build(12)]
    fast = [repr(m) for m in FAST.build(12)]
    assert fast == [name for name in regular if name != "CES"]
    rng = np.random.default_rng(9)
    months = np.arange(48)
    history = pd.concat(
        [
            _series(f"s{i}", 100 + 30 * np.sin(2 * np.pi * months / 12) + rng.normal(0, 8, 48))
            for i in range(3)
        ]
    )
    result = forecast(history, 6, fast=True)
    assert result.selection["reason"].str.contains("smooth: fast models").all()
    assert not result.selection["model"].str.contains("CES").any()
    assert result.selection["reason"].str.contains("regular models").sum() == 0
    with pytest.raises(InputError, match="fast"):
        forecast(history, 6, fast=True, thorough=True)
