"""The frame checks every engine shares: each bad frame is located by table, row and column."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from oneplan.engines.frames import (
    month_number,
    month_starts,
    numeric,
    parameter_number,
    parameters,
    require_columns,
    value_in_force,
)
from oneplan.errors import InputError, ValidationFailed

PRICES = pd.DataFrame(
    {
        "item": ["A", "A", "B"],
        "channel": "all",
        "valid_from": ["2027-03-15", "2027-01", "2027-02-01"],
        "price": [12.0, 10.0, 5.0],
    }
)


def test_a_missing_column_is_an_input_error_and_a_value_error() -> None:
    with pytest.raises(InputError) as caught:
        require_columns(PRICES, ["item", "currency"], "prices")
    assert isinstance(caught.value, ValidationFailed) and isinstance(caught.value, ValueError)
    problem = caught.value.problems[0]
    assert (problem.file, problem.row, problem.column) == ("prices", None, "currency")
    assert problem.message == "is missing (needs ['item', 'currency'])"


def test_every_missing_column_is_named_and_a_list_is_not_a_frame() -> None:
    with pytest.raises(InputError, match="is missing, and so are b, c ") as caught:
        require_columns(PRICES, ["a", "item", "b", "c"], "prices")
    assert caught.value.column == "a"
    with pytest.raises(InputError, match="must be a DataFrame, not list") as caught:
        require_columns([1, 2], ["a"], "prices")  # type: ignore[arg-type]
    assert (caught.value.table, caught.value.column) == ("prices", None)


def test_numbers_keep_the_index_and_blank_text_counts_as_empty() -> None:
    frame = pd.DataFrame({"quantity": ["3", " ", None, 4]}, index=[10, 11, 12, 13])
    values = numeric(frame, "quantity", "demand")
    assert values.index.tolist() == [10, 11, 12, 13] and values.dtype == "float64"
    assert values.tolist()[::3] == [3.0, 4.0] and values.iloc[1:3].isna().all()
    assert numeric(frame, "quantity", "demand", default=0.0).tolist() == [3.0, 0.0, 0.0, 4.0]
    assert numeric(frame, "absent", "demand", default=1.5).tolist() == [1.5] * 4


def test_text_negative_and_absent_numbers_are_located() -> None:
    frame = pd.DataFrame({"quantity": [1.0, -2.0, 3.0], "note": ["x", "y", "lots"]})
    with pytest.raises(InputError, match="holds -2; it must not be negative") as caught:
        numeric(frame, "quantity", "demand", allow_negative=False)
    assert (caught.value.table, caught.value.row, caught.value.column) == ("demand", 1, "quantity")
    with pytest.raises(InputError, match="holds 'x', not a number") as caught:
        numeric(frame, "note", "demand")
    assert (caught.value.row, caught.value.column) == (0, "note")
    with pytest.raises(InputError, match="is missing") as caught:
        numeric(frame, "price", "demand")
    assert (caught.value.row, caught.value.column) == (None, "price")


def test_month_starts_are_nanoseconds_and_keep_a_series_index() -> None:
    seconds = pd.Series(
        pd.to_datetime(["2027-03-31 23:00", "2027-04-02 00:00"]).astype("datetime64[s]"),
        index=[5, 9],
    )
    months = month_starts(seconds)
    assert months.dtype == "datetime64[ns]" and months.index.tolist() == [5, 9]
    assert months.tolist() == [pd.Timestamp("2027-03-01"), pd.Timestamp("2027-04-01")]
    listed = month_starts(pd.DatetimeIndex(["2027-12-24"]))
    assert listed.index.tolist() == [0] and listed.iloc[0] == pd.Timestamp("2027-12-01")


def test_a_value_that_is_not_a_date_is_located() -> None:
    with pytest.raises(InputError, match="holds 'soon', not a date") as caught:
        month_starts(pd.Series(["2027-01", None, "soon"], name="period"), table="demand")
    assert (caught.value.table, caught.value.row, caught.value.column) == ("demand", 2, "period")


def test_a_required_month_that_is_empty_is_located() -> None:
    periods = pd.Series(["2027-01", None, np.nan], name="period")
    assert month_starts(periods).isna().tolist() == [False, True, True]
    with pytest.raises(InputError, match="has 2 empty value") as caught:
        month_starts(periods, table="demand", required=True)
    assert (caught.value.table, caught.value.row, caught.value.column) == ("demand", 1, "period")


def test_month_numbers_count_months() -> None:
    numbers = month_number(["2027-01-31", "2026-12-01", None])
    assert numbers.iloc[0] - numbers.iloc[1] == 1.0 and np.isnan(numbers.iloc[2])


def test_parameters_are_text_by_name_and_numbers_are_checked() -> None:
    table = pd.DataFrame({"name": ["plan_start", "horizon_periods"], "value": ["2027-01", 18]})
    settings = parameters(table)
    assert settings == {"plan_start": "2027-01", "horizon_periods": "18"}
    assert parameters(None) == {} and parameter_number(settings, "horizon_periods", 1.0) == 18.0
    with pytest.raises(InputError, match="plan_start = '2027-01' is not a number") as caught:
        parameter_number(settings, "plan_start", 0.0)
    assert (caught.value.table, caught.value.column) == ("parameters", "value")


def test_the_value_in_force_is_the_latest_row_from_its_month() -> None:
    rows = pd.DataFrame(
        {
            "item": ["A", "A", "A", "A", "B", "C"],
            "channel": "all",
            "period": month_starts(
                ["2026-12", "2027-01", "2027-02", "2027-03", "2027-01", None]
            ).to_numpy(),
        },
        index=list("uvwxyz"),
    )
    keys = ["item", "channel"]
    found = value_in_force(rows, PRICES, keys, ["price"], table="prices")
    assert found.index.tolist() == list("uvwxyz")
    # A costs 10 from January and 12 from March (the 15th counts as the month); B starts in
    # February; C has no price at all, and its row no month
    np.testing.assert_array_equal(found["price"], [np.nan, 10.0, 10.0, 12.0, np.nan, np.nan])
    first = value_in_force(rows, PRICES, keys, ["price"], before_first="first", table="prices")
    np.testing.assert_array_equal(first["price"], [10.0, 10.0, 10.0, 12.0, 5.0, np.nan])


def test_a_table_row_without_a_month_is_refused() -> None:
    undated = PRICES.assign(valid_from=["2027-03", None, "2027-02"])
    rows = pd.DataFrame({"item": ["A"], "channel": "all", "period": month_starts(["2027-03"])})
    with pytest.raises(InputError, match=r"^prices, row 1, column valid_from: is empty$"):
        value_in_force(rows, undated, ["item", "channel"], ["price"], table="prices")


def test_two_rows_of_one_key_in_a_month_are_refused() -> None:
    twice = pd.concat([PRICES, PRICES.iloc[[0]].assign(valid_from="2027-03-01")])
    rows = pd.DataFrame({"item": ["A"], "channel": "all", "period": month_starts(["2027-03"])})
    with pytest.raises(InputError, match="more than one row for the same item, channel") as caught:
        value_in_force(rows, twice, ["item", "channel"], ["price"], table="prices")
    assert (caught.value.table, caught.value.column) == ("prices", "valid_from")
