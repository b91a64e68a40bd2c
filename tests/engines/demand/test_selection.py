"""Model choice on hand-made backtests, where the right answer is known."""

from __future__ import annotations

import numpy as np
import pandas as pd

from oneplan.engines.demand.selection import (
    assign_plans,
    backtest_ladder,
    choose_models,
    combine_columns,
)


def _backtest() -> pd.DataFrame:
    y = np.array([10.0, 12.0, 11.0, 13.0])
    return pd.DataFrame(
        {
            "unique_id": ["a"] * 4 + ["b"] * 4,
            "y": np.r_[y, y],
            # a: "good" is close, the others over-forecast;
            # b: "high" and "low" err in opposite directions
            "good": np.r_[y + 0.5, y + 5.0],
            "high": np.r_[y + 3.0, y + 2.0],
            "low": np.r_[y + 2.0, y - 2.0],
        }
    )


NAMES = ["good", "high", "low"]
SERIES = np.array(["a", "b"])
NO_FAILURES = np.zeros((2, 3), dtype=bool)


def test_best_single_model_wins_when_it_is_clearly_best() -> None:
    choice = choose_models(_backtest(), NAMES, SERIES, np.ones(2), NO_FAILURES)
    assert NAMES[choice.order[0, 0]] == "good"
    assert choice.n_combined[0] == 1
    assert choice.combined_score[0] == 0.5


def test_mean_of_two_wins_when_their_errors_cancel() -> None:
    choice = choose_models(_backtest(), NAMES, SERIES, np.ones(2), NO_FAILURES)
    assert choice.n_combined[1] == 2
    assert {NAMES[i] for i in choice.order[1, :2]} == {"high", "low"}
    assert choice.combined_score[1] == 0.0
    frame = _backtest()
    codes = pd.Categorical(frame["unique_id"], categories=SERIES).codes
    combined = combine_columns(frame, NAMES, choice, codes)
    np.testing.assert_allclose(combined[4:], frame["y"].to_numpy()[4:])


def test_scores_are_mase_with_the_given_scale() -> None:
    choice = choose_models(_backtest(), NAMES, SERIES, np.array([2.0, 4.0]), NO_FAILURES)
    np.testing.assert_allclose(choice.scores[0], [0.25, 1.5, 1.0])
    np.testing.assert_allclose(choice.scores[1], [1.25, 0.5, 0.5])


def test_failed_model_is_never_chosen() -> None:
    failed = np.array([[True, False, False], [False, False, False]])
    choice = choose_models(_backtest(), NAMES, SERIES, np.ones(2), failed, combine=1)
    assert NAMES[choice.order[0, 0]] != "good"
    assert np.isinf(choice.scores[0, 0])


def test_missing_backtest_value_marks_the_model_failed() -> None:
    frame = _backtest()
    frame.loc[1, "good"] = np.nan
    choice = choose_models(frame, NAMES, SERIES, np.ones(2), NO_FAILURES)
    assert choice.failed[0, 0] and not choice.failed[1, 0]


def test_ladder_gives_short_series_a_lighter_plan() -> None:
    ladder = backtest_ladder(6, 3)
    plans = assign_plans(np.array([40, 20, 14, 5]), ladder, min_train=8)
    # 40 >= 8 + 6 + 2*6; 20 >= 8 + 6 + 2*3; 14 >= 8 + 3 + 2*1 (h 3 step 1); 5 fits nothing
    assert [(ladder[i].h, ladder[i].step) for i in plans[:3]] == [(6, 6), (6, 3), (3, 1)]
    assert plans[3] == -1


def test_fixed_mean_leaves_out_models_far_behind_the_best() -> None:
    choice = choose_models(_backtest(), NAMES, SERIES, np.ones(2), NO_FAILURES, combine=3)
    # a: the others err 4-6 times more than "good"; b: "good" errs 2.5 times more than the rest
    assert choice.n_combined.tolist() == [1, 2]
    loose = choose_models(
        _backtest(), NAMES, SERIES, np.ones(2), NO_FAILURES, combine=3, within=10.0
    )
    assert loose.n_combined.tolist() == [3, 3]
