"""Rows of a stored plan frame as a page: a month range, then ``limit`` rows from ``offset``,
each a plain dict whose missing or endless numbers are None (what JSON can carry)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd


def in_months(
    frame: pd.DataFrame, start: str | None, end: str | None, column: str = "period"
) -> pd.DataFrame:
    """The rows whose month lies from ``start`` to ``end`` (YYYY-MM, either may be None).

    >>> f = pd.DataFrame({"period": pd.to_datetime(["2027-01-01", "2027-02-01", "2027-03-01"])})
    >>> len(in_months(f, "2027-02", None)), len(in_months(f, None, "2027-01"))
    (2, 1)
    """
    period = frame[column]
    if not pd.api.types.is_datetime64_dtype(period):  # to_datetime scans even a datetime column
        period = pd.to_datetime(period)
    keep = np.ones(len(frame), dtype=bool)
    if start:
        keep &= (period >= pd.Timestamp(f"{start}-01")).to_numpy()
    if end:
        keep &= (period <= pd.Timestamp(f"{end}-01")).to_numpy()
    return frame.loc[keep].assign(**{column: period[keep]})


def page_records(frame: pd.DataFrame, limit: int, offset: int) -> list[dict[str, Any]]:
    """Rows ``offset`` to ``offset + limit`` as dicts; NaN, NaT and infinities become None.

    >>> page_records(pd.DataFrame({"a": [1.0, np.inf, np.nan]}), 5, 1)
    [{'a': None}, {'a': None}]
    """
    page = frame.iloc[offset : offset + limit]
    blank = page.isna()
    numbers = page.select_dtypes("number").columns
    if len(numbers):
        blank[numbers] |= ~np.isfinite(page[numbers].astype(float))
    shown = page.astype(object).where(~blank, None)  # type: ignore[call-overload]
    records: list[dict[str, Any]] = shown.to_dict("records")
    return records
