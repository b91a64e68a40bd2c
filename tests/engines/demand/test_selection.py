"""Model choice on hand-made backtests, where the right answer is known."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from oneplan.engines.demand.selection import (
    Choice,
    assign_plans,
    backtest_ladder,
    choose_models,
    combine_columns,
)


def _backtest(b_good: float = 5.0) -> pd.DataFrame:
    y = np.array([10.0, 12.0, 11.0, 13.0])
    return pd.DataFrame(
        {
            "unique_id": ["a"] * 4 + ["b"] * 4,
            "y": np.r_[y, y],
            # "good" is close on a; "high" and "low" err in opposite directions on both
            "good": np.r_[y + 0.5, y + b_good],
            "high": np.r_[y + 3.0, y + 2.0],
            "low": np.r_[y - 3.0, y - 2.0],
        }
    )


NAMES = ["good", "high", "low"]
SERIES = np.array(["a", "b"])
NO_FAILURES = np.zeros((2, 3), dtype=bool)


def _label(choice: Choice) -> str:
    return choice.combination.label(NAMES)


def test_the_combination_best_over_all_series_is_chosen_for_each() -> None:
    # mean(high+low) is exact on both series; "good" is best on a alone
    choice = choose_models(_backtest(), NAMES, SERIES, np.ones(2), NO_FAILURES)
    assert _label(choice) == "mean(high+low)"
    assert choice.pooled_score == 0.0
    assert choice.members.tolist() == [[False, True, True]] * 2
    assert choice.combined_score.tolist() == [0.0, 0.0]
    frame = _backtest()
    codes = pd.Categorical(frame["unique_id"], categories=SERIES).codes
    np.testing.assert_allclose(combine_columns(frame, NAMES, choice, codes), frame["y"])


def test_a_single_model_wins_when_it_is_best_everywhere() -> None:
    frame = _backtest(b_good=0.5)
    frame["low"] = frame["y"] - 1.0
    choice = choose_models(frame, NAMES, SERIES, np.ones(2), NO_FAILURES, max_combination=1)
    assert _label(choice) == "good"
    assert choice.runner_up is not None and choice.runner_up.label(NAMES) == "low"
    assert choice.pooled_score == 0.5 and choice.runner_up_score == 1.0


def test_scores_are_mase_with_the_given_scale() -> None:
    choice = choose_models(_backtest(), NAMES, SERIES, np.array([2.0, 4.0]), NO_FAILURES)
    np.testing.assert_allclose(choice.scores[0], [0.25, 1.5, 1.5])
    np.testing.assert_allclose(choice.scores[1], [1.25, 0.5, 0.5])


def test_a_series_where_a_winner_failed_combines_the_others() -> None:
    failed = np.array([[False, True, False], [False, False, False]])
    choice = choose_models(_backtest(), NAMES, SERIES, np.ones(2), failed)
    winners = np.isin(np.arange(3), choice.combination.members)
    assert len(choice.combination.members) == 2
    assert choice.members[1].tolist() == winners.tolist()
    assert choice.members[0].tolist() == (winners & ~failed[0]).tolist()
    assert np.isinf(choice.scores[0, 1])


def test_a_series_where_every_winner_failed_takes_its_own_best() -> None:
    failed = np.array([[False, True, True], [False, False, False]])
    choice = choose_models(_backtest(), NAMES, SERIES, np.ones(2), failed)
    assert choice.members[0].tolist() == [True, False, False]


def test_missing_backtest_value_marks_the_model_failed() -> None:
    frame = _backtest()
    frame.loc[1, "good"] = np.nan
    choice = choose_models(frame, NAMES, SERIES, np.ones(2), NO_FAILURES)
    assert choice.failed[0, 0] and not choice.failed[1, 0]


def test_median_of_three_is_a_candidate() -> None:
    frame = _backtest()
    # each model is exact but for one wild row of its own: only the median ignores them all
    for k, name in enumerate(NAMES):
        wild = np.isin(np.arange(8) % 4, [k])
        frame[name] = frame["y"] + np.where(wild, 40.0, 0.0)
    choice = choose_models(frame, NAMES, SERIES, np.ones(2), NO_FAILURES)
    assert _label(choice) == "median(good+high+low)"
    assert choice.how.tolist() == ["median", "median"]
    assert choice.combined_score.tolist() == [0.0, 0.0]


def test_without_any_backtest_the_first_model_stands() -> None:
    empty = _backtest().iloc[:0]
    choice = choose_models(empty, NAMES, SERIES, np.ones(2), NO_FAILURES)
    assert _label(choice) == "good"
    assert np.isnan(choice.combined_score).all()


def test_ladder_gives_short_series_a_lighter_plan() -> None:
    ladder = backtest_ladder(6, 3)
    plans = assign_plans(np.array([40, 20, 14, 5]), ladder, min_train=8)
    # 40 >= 8 + 6 + 2*6; 20 >= 8 + 6 + 2*3; 14 >= 8 + 3 + 2*1 (h 3 step 1); 5 fits nothing
    assert [(ladder[i].h, ladder[i].step) for i in plans[:3]] == [(6, 6), (6, 3), (3, 1)]
    assert plans[3] == -1


def test_per_series_choice_gives_each_series_its_own_best() -> None:
    choice = choose_models(
        _backtest(), NAMES, SERIES, np.ones(2), NO_FAILURES, max_combination=1, per_series=True
    )
    # a: "good" is best on its own; b: "high" and "low" tie, the first in the set's order stands
    assert choice.members.tolist() == [[True, False, False], [False, True, False]]
    assert choice.per_series


def _near_tie() -> pd.DataFrame:
    # every model errs upwards: "good" by 1.0, "close" by 1.005, "far" by 5.0
    y = np.array([10.0, 12.0, 11.0, 13.0])
    frame = pd.DataFrame({"unique_id": ["a"] * 4 + ["b"] * 4, "y": np.r_[y, y]})
    for name, error in (("good", 1.0), ("close", 1.005), ("far", 5.0)):
        frame[name] = frame["y"] + error
    return frame


TIED = ["good", "close", "far"]


def test_on_a_near_tie_the_combination_of_most_models_wins() -> None:
    # median(good+close+far) is "close" on every row: 0.5 % behind "good" alone
    choice = choose_models(_near_tie(), TIED, SERIES, np.ones(2), NO_FAILURES)
    assert choice.combination.label(TIED) == "median(good+close+far)"
    assert choice.pooled_score == pytest.approx(1.005)
    assert choice.runner_up is not None and choice.runner_up.label(TIED) == "good"
    assert choice.runner_up_score == pytest.approx(1.0)
    assert choice.members.all() and choice.how.tolist() == ["median", "median"]


def test_without_a_near_tie_the_lowest_score_wins_alone() -> None:
    for near_tie in (0.0, 0.001):
        choice = choose_models(
            _near_tie(), TIED, SERIES, np.ones(2), NO_FAILURES, near_tie=near_tie
        )
        assert choice.combination.label(TIED) == "good"
    single = choose_models(_near_tie(), TIED, SERIES, np.ones(2), NO_FAILURES, max_combination=1)
    assert single.combination.label(TIED) == "good"


def test_the_tied_combination_falls_back_per_series() -> None:
    # "far" failed on series a only: a combines the two others by their mean, b keeps the median
    failed = np.array([[False, False, True], [False, False, False]])
    frame = _near_tie()
    choice = choose_models(frame, TIED, SERIES, np.ones(2), failed)
    assert choice.combination.label(TIED) == "median(good+close+far)"
    assert choice.members.tolist() == [[True, True, False], [True, True, True]]
    assert choice.how.tolist() == ["mean", "median"]
    codes = pd.Categorical(frame["unique_id"], categories=SERIES).codes
    combined = combine_columns(frame, TIED, choice, codes)
    np.testing.assert_allclose(combined[:4], frame["y"][:4] + 1.0025)
    np.testing.assert_allclose(combined[4:], frame["y"][4:] + 1.005)
    np.testing.assert_allclose(choice.combined_score, [1.0025, 1.005])
