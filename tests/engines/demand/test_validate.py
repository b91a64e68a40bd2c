"""Boundary checks on the sales history: each bad frame names the column and the problem."""

from __future__ import annotations

import pandas as pd
import pytest

from oneplan.engines.demand import validate_history
from oneplan.engines.demand.validate import stale_series
from oneplan.errors import InputError


def _history(**overrides: list[object]) -> pd.DataFrame:
    data: dict[str, list[object]] = {
        "unique_id": ["a", "a", "b"],
        "ds": ["2024-01-01", "2024-02-01", "2024-01-01"],
        "y": [1.0, 2.0, 3.0],
    }
    data.update(overrides)
    return pd.DataFrame(data)


def _where(error: pytest.ExceptionInfo[InputError]) -> tuple[str, int | None, str | None]:
    problem = error.value.problems[0]
    return problem.file, problem.row, problem.column


def test_missing_column_is_named() -> None:
    with pytest.raises(InputError, match=r"^history, column y: is missing \(needs") as error:
        validate_history(_history().drop(columns="y"))
    assert _where(error) == ("history", None, "y")


def test_non_numeric_demand_names_column_and_first_row() -> None:
    with pytest.raises(InputError, match=r"column y: has 1 non-numeric.*'lots'.*'a'") as error:
        validate_history(_history(y=[1.0, "lots", 3.0]))
    assert _where(error) == ("history", 1, "y")


def test_unparsable_date_names_column() -> None:
    with pytest.raises(
        InputError, match=r"column ds: has 1 value\(s\) that are not dates"
    ) as error:
        validate_history(_history(ds=["2024-01-01", "someday", "2024-01-01"]))
    assert _where(error) == ("history", 1, "ds")


def test_negative_demand_counts_rows_and_names_first() -> None:
    frame = _history(y=[1.0, -2.0, -3.0])
    with pytest.raises(
        InputError, match=r"column y: has 2 negative.*first -2 for unique_id 'a' at 2024-02-01"
    ) as error:
        validate_history(frame)
    assert _where(error) == ("history", 1, "y")


def test_duplicate_periods_are_named() -> None:
    frame = _history(ds=["2024-01-01", "2024-01-01", "2024-01-01"])
    with pytest.raises(InputError, match=r"has 2 rows sharing a period.*\('a', 2024-01-01\)") as e:
        validate_history(frame)
    assert _where(e) == ("history", 0, "ds")


def test_date_off_the_monthly_calendar_is_rejected() -> None:
    with pytest.raises(InputError, match=r"column ds: has 1 date\(s\) off the 'MS' calendar") as e:
        validate_history(_history(ds=["2024-01-01", "2024-02-15", "2024-01-01"]))
    assert _where(e) == ("history", None, "ds")


def test_empty_demand_is_rejected() -> None:
    with pytest.raises(InputError, match=r"column y: has 1 empty") as error:
        validate_history(_history(y=[1.0, None, 3.0]))
    assert _where(error) == ("history", 1, "y")


def test_missing_months_inside_a_series_become_zero_and_each_series_keeps_its_end() -> None:
    frame = pd.DataFrame(
        {
            "unique_id": ["a", "a", "b"],
            "ds": ["2024-01-01", "2024-04-01", "2024-02-01"],
            "y": [5, 7, 2],
        }
    )
    clean = validate_history(frame)
    a = clean[clean["unique_id"] == "a"]
    b = clean[clean["unique_id"] == "b"]
    assert a["y"].tolist() == [5.0, 0.0, 0.0, 7.0]
    # b's file ends in February: nothing says it sold nothing in March and April.
    assert b["ds"].dt.month.tolist() == [2]
    assert clean["y"].dtype == "float64"


def test_a_global_end_pads_every_series_to_the_latest_month() -> None:
    frame = pd.DataFrame(
        {"unique_id": ["a", "a", "b"], "ds": ["2024-01-01", "2024-04-01", "2024-02-01"], "y": 1}
    )
    b = validate_history(frame, end="global").query("unique_id == 'b'")
    # In a cycle every item's history runs to the same month: b stopped selling.
    assert b["ds"].dt.month.tolist() == [2, 3, 4]
    assert b["y"].tolist() == [1.0, 0.0, 0.0]
    with pytest.raises(InputError, match="end"):
        validate_history(frame, end="plan")


def test_series_ending_more_than_a_season_early_are_named() -> None:
    ends = {"old-1": "2019-01-01", "old-2": "2020-06-01", "recent": "2023-07-01"}
    frame = pd.DataFrame(
        {"unique_id": [*ends, "new"], "ds": [*ends.values(), "2024-06-01"], "y": 1.0}
    )
    clean = validate_history(frame)
    notice = stale_series(clean, season_length=12)
    assert notice is not None and notice.column == "ds"
    assert notice.message.startswith("2 of 4 series end more than 12 periods before")
    assert "'old-1' (2019-01-01), 'old-2' (2020-06-01)" in notice.message
    assert "recent" not in notice.message
    assert stale_series(clean, season_length=12, shown=1).message.count("'old-") == 1
    assert stale_series(clean[clean["unique_id"] != "new"], season_length=60) is None
