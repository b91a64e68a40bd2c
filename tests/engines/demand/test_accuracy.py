"""Accuracy metrics against hand computations."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from oneplan.engines.demand import accuracy_table, seasonal_naive_scale
from oneplan.errors import InputError


@pytest.fixture
def results() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "unique_id": ["a", "a", "a", "b", "b"],
            "family": ["f", "f", "f", "f", "f"],
            "y": [10.0, 0.0, 20.0, 4.0, 6.0],
            "forecast": [12.0, 2.0, 15.0, 4.0, 3.0],
        }
    )


def test_item_level_metrics_match_hand_computation(results: pd.DataFrame) -> None:
    scale = pd.Series({"a": 5.0, "b": 2.0})
    table = accuracy_table(results, scale=scale).set_index("unique_id")
    a = table.loc["a"]
    assert a["wape"] == pytest.approx((2 + 2 + 5) / 30)
    # the zero actual is left out of MAPE
    assert a["mape"] == pytest.approx((2 / 10 + 5 / 20) / 2)
    assert a["smape"] == pytest.approx((4 / 22 + 2.0 + 10 / 35) / 3)
    assert a["mase"] == pytest.approx((2 + 2 + 5) / 3 / 5.0)
    assert a["bias"] == pytest.approx((2 + 2 - 5) / 30)
    b = table.loc["b"]
    assert b["wape"] == pytest.approx(3 / 10)
    assert b["mase"] == pytest.approx(1.5 / 2.0)
    assert b["bias"] == pytest.approx(-3 / 10)


def test_any_grouping_level_pools_the_rows(results: pd.DataFrame) -> None:
    table = accuracy_table(results, by=["family"])
    assert table.loc[0, "wape"] == pytest.approx(12 / 40)
    assert table.loc[0, "bias"] == pytest.approx(-4 / 40)


def test_all_zero_actuals_give_nan_mape_and_wape() -> None:
    frame = pd.DataFrame({"unique_id": ["z", "z"], "y": [0.0, 0.0], "forecast": [0.0, 1.0]})
    row = accuracy_table(frame).iloc[0]
    assert np.isnan(row["mape"]) and np.isnan(row["wape"])
    assert row["smape"] == pytest.approx(1.0)


def test_seasonal_naive_scale_uses_the_seasonal_lag() -> None:
    y = [1.0, 5.0, 2.0, 7.0, 4.0, 6.0]
    history = pd.DataFrame({"unique_id": "a", "ds": range(6), "y": y})
    expected = np.mean(np.abs(np.array(y[2:]) - np.array(y[:-2])))
    assert seasonal_naive_scale(history, 2).loc["a"] == pytest.approx(expected)
    short = pd.DataFrame({"unique_id": "s", "ds": range(3), "y": [1.0, 4.0, 2.0]})
    assert seasonal_naive_scale(short, 12).loc["s"] == pytest.approx(2.5)


def test_missing_column_is_named() -> None:
    with pytest.raises(InputError, match=r"^results, column forecast: is missing") as error:
        accuracy_table(pd.DataFrame({"unique_id": ["a"], "y": [1.0]}))
    assert (error.value.table, error.value.column) == ("results", "forecast")
