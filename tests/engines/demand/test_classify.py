"""Demand classes from hand-built series whose ADI and CV² are known."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from oneplan.engines.demand import classify_demand


def _frame(series: dict[str, list[float]]) -> pd.DataFrame:
    parts = [
        pd.DataFrame(
            {"unique_id": uid, "ds": pd.date_range("2020-01-01", periods=len(y), freq="MS"), "y": y}
        )
        for uid, y in series.items()
    ]
    return pd.concat(parts, ignore_index=True)


def _expected(y: list[float]) -> tuple[float, float]:
    sizes = np.array([v for v in y if v > 0])
    return len(y) / len(sizes), float((sizes.std() / sizes.mean()) ** 2)


SERIES = {
    # every month, sizes 9/11: ADI 1, CV² 0.01
    "smooth": [9.0, 11.0] * 12,
    # every month, sizes 1/10: CV² ~0.67
    "erratic": [1.0, 10.0] * 12,
    # one month in three, constant size: ADI 3, CV² 0
    "intermittent": [0.0, 0.0, 6.0] * 8,
    # one month in three, sizes 1/20: ADI 3, CV² ~0.82
    "lumpy": [0.0, 0.0, 1.0, 0.0, 0.0, 20.0] * 4,
    "zero": [0.0] * 24,
    # sold for a year, then nothing for twelve months: phased out
    "phased_out": [5.0] * 12 + [0.0] * 12,
    "new": [3.0, 4.0, 5.0],
    "too_short": [3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0, 10.0],
}


def test_classes_follow_syntetos_boylan_cut_offs() -> None:
    classes = classify_demand(_frame(SERIES), min_backtest_periods=17).set_index("unique_id")
    expected = {name: name for name in SERIES} | {"phased_out": "zero"}
    assert classes["demand_class"].to_dict() == expected


@pytest.mark.parametrize("name", ["smooth", "erratic", "intermittent", "lumpy"])
def test_adi_and_cv2_match_hand_computation(name: str) -> None:
    classes = classify_demand(_frame(SERIES), min_backtest_periods=17).set_index("unique_id")
    adi, cv2 = _expected(SERIES[name])
    assert classes.loc[name, "adi"] == pytest.approx(adi)
    assert classes.loc[name, "cv2"] == pytest.approx(cv2)
    assert classes.loc[name, "n_obs"] == len(SERIES[name])


def test_cut_off_is_strict_at_adi_1_32() -> None:
    # 33 periods with 25 demands: ADI 1.32 exactly, which is already intermittent.
    y = ([5.0] * 3 + [0.0]) * 8 + [5.0]
    classes = classify_demand(_frame({"edge": y}), min_backtest_periods=17)
    assert classes.loc[0, "adi"] == pytest.approx(33 / 25)
    assert classes.loc[0, "demand_class"] == "intermittent"


def test_all_zero_series_has_infinite_adi() -> None:
    classes = classify_demand(_frame({"z": [0.0] * 20}), min_backtest_periods=17)
    assert np.isinf(classes.loc[0, "adi"]) and np.isnan(classes.loc[0, "cv2"])
