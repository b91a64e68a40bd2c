"""Input checks and effective-dated look-ups shared by the finance engine."""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from oneplan.errors import InputError


class FinanceInputError(InputError):
    """An input frame of the finance engine is missing a column or holds a bad value."""


def require_columns(frame: pd.DataFrame, columns: Sequence[str], name: str) -> None:
    """Raise `FinanceInputError` naming the first column of `columns` missing from `frame`."""
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise FinanceInputError(f"{name}: column {missing[0]!r} is missing (needs {list(columns)})")


def numeric(
    frame: pd.DataFrame, column: str, name: str, *, default: float | None = None
) -> pd.Series:
    """Column as float; an absent column takes `default`; text that is not a number raises."""
    if column not in frame.columns:
        if default is None:
            raise FinanceInputError(f"{name}: column {column!r} is missing")
        return pd.Series(default, index=frame.index, dtype=float)
    values = pd.to_numeric(frame[column], errors="coerce")
    bad = values.isna() & frame[column].notna()
    if bad.any():
        raise FinanceInputError(
            f"{name}: column {column!r} holds {frame[column][bad].iloc[0]!r}, not a number"
        )
    values = values.astype(float)
    return values.fillna(default) if default is not None else values


def month_starts(values: object) -> pd.Series:
    """Dates or 'YYYY-MM' strings as month-start timestamps (the S&OP period convention)."""
    dates = pd.to_datetime(pd.Series(values), format="mixed")
    return pd.Series(dates.dt.to_period("M").dt.to_timestamp().astype("datetime64[ns]"))


def effective_values(
    rows: pd.DataFrame,
    table: pd.DataFrame,
    by: list[str],
    values: list[str],
) -> pd.DataFrame:
    """For each row of `rows` (with `by` and `period`), the `values` of `table` in force.

    `table` holds `by`, `valid_from` and `values`; a row applies from its `valid_from` month
    until the next `valid_from` of the same key. Periods before the first `valid_from` get NaN.
    The result is aligned to `rows` (same index order).

    >>> prices = pd.DataFrame({"item": ["A", "A"], "valid_from": ["2027-01", "2027-03"],
    ...                        "price": [10.0, 12.0]})
    >>> rows = pd.DataFrame({"item": ["A"] * 3, "period": month_starts(["2027-02", "2027-03",
    ...                      "2026-12"])})
    >>> effective_values(rows, prices, ["item"], ["price"])["price"].tolist()
    [10.0, 12.0, nan]
    """
    keyed = rows[[*by, "period"]].assign(_row=range(len(rows)))
    dated = table[[*by, "valid_from", *values]].assign(valid_from=month_starts(table["valid_from"]))
    for key in by:
        dated[key] = dated[key].astype(keyed[key].dtype)
    matched = pd.merge_asof(
        keyed.sort_values("period"),
        dated.sort_values("valid_from"),
        left_on="period",
        right_on="valid_from",
        by=by,
        direction="backward",
    )
    return matched.sort_values("_row")[values].reset_index(drop=True).set_axis(rows.index)
