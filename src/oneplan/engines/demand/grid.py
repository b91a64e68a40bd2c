"""The planning grid: the consensus as one row per item x location and one column per month,
and the edits read back from it."""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np
import pandas as pd

from oneplan.engines.frames import parse_month
from oneplan.errors import Problem, ValidationFailed

KEY_COLUMNS = ["item", "location"]
INFO_COLUMNS = ["description", "family"]
DECIMALS = 2


def planning_grid(consensus: pd.DataFrame, items: pd.DataFrame | None = None) -> pd.DataFrame:
    """Consensus units wide: [item, location, (description, family), one column per YYYY-MM].

    >>> c = pd.DataFrame({"item": ["A", "A"], "location": ["L", "L"], "quantity": [1.234, 5.0],
    ...     "period": pd.to_datetime(["2027-01-01", "2027-02-01"])})
    >>> planning_grid(c).to_dict("records")
    [{'item': 'A', 'location': 'L', '2027-01': 1.23, '2027-02': 5.0}]
    """
    month = pd.to_datetime(consensus["period"]).dt.strftime("%Y-%m")
    grid = consensus.assign(month=month).pivot_table(
        index=KEY_COLUMNS, columns="month", values="quantity", aggfunc="sum", fill_value=0.0
    )
    grid = grid.round(DECIMALS).reset_index()
    grid.columns.name = None
    if items is not None:
        info = items[["code", *INFO_COLUMNS]].rename(columns={"code": "item"})
        grid = grid.merge(info, on="item", how="left")
        months = [c for c in grid.columns if c not in (*KEY_COLUMNS, *INFO_COLUMNS)]
        grid = grid[[*KEY_COLUMNS, *INFO_COLUMNS, *months]]
    return grid


def _month_header(value: Any) -> str | None:
    if isinstance(value, dt.datetime | dt.date):
        return f"{value:%Y-%m}"  # a spreadsheet may turn "2027-01" into a date
    month = parse_month(value)
    return None if month is None else f"{month:%Y-%m}"


def grid_edits(
    rows: list[tuple[Any, ...]], consensus: pd.DataFrame, source: str
) -> tuple[pd.DataFrame, list[int]]:
    """The cells of an edited grid (``rows``: the sheet's rows, header first) that differ from
    ``consensus``, and their spreadsheet rows; every problem names ``source``, row and column.

    Returns [item, location, period (YYYY-MM), value] and the row number of each.
    """
    if not rows:
        raise ValidationFailed([Problem(source, 1, None, "is empty; expected a header row")])
    header = ["" if v is None else v for v in rows[0]]
    problems: list[Problem] = []
    if [str(h) for h in header[:2]] != KEY_COLUMNS:
        problems.append(Problem(source, 1, None, "the first two columns must be item, location"))
        raise ValidationFailed(problems)
    months: dict[int, str] = {}
    known = set(pd.to_datetime(consensus["period"]).dt.strftime("%Y-%m"))
    for position, name in enumerate(header[2:], start=2):
        if str(name) in INFO_COLUMNS or name == "":
            continue
        month = _month_header(name)
        if month is None or month not in known:
            problems.append(
                Problem(source, 1, str(name), "is not a month of this demand plan (YYYY-MM)")
            )
        else:
            months[position] = month
    if problems:
        raise ValidationFailed(problems)
    body = pd.DataFrame([list(r) + [None] * (len(header) - len(r)) for r in rows[1:]])
    if body.empty:
        return pd.DataFrame(columns=["item", "location", "period", "value"]), []
    body = body.iloc[:, : len(header)]
    body["row"] = np.arange(2, len(body) + 2)
    body = body[body.iloc[:, : len(header)].notna().any(axis=1)]
    body["item"] = body[0].astype(str).str.strip()
    body["location"] = body[1].astype(str).str.strip()
    plan = consensus.assign(period=pd.to_datetime(consensus["period"]).dt.strftime("%Y-%m"))
    pairs = plan[KEY_COLUMNS].drop_duplicates()
    found = body.merge(pairs.assign(planned=True), on=KEY_COLUMNS, how="left")
    for row, item, location in found.loc[
        found["planned"].isna(), ["row", "item", "location"]
    ].itertuples(index=False):
        problems.append(
            Problem(source, int(row), "item", f"{item}|{location} is not a series of this plan")
        )
    for row in body.loc[body.duplicated(KEY_COLUMNS), "row"]:
        problems.append(Problem(source, int(row), "item", "this item and location appear twice"))
    long = body.melt(id_vars=["row", "item", "location"], value_vars=list(months), var_name="col")
    long["period"] = long["col"].map(months)
    numbers = pd.to_numeric(long["value"].where(long["value"].map(_is_number)), errors="coerce")
    bad = numbers.isna() | (numbers < 0)
    wrong = long[bad]
    for row, col, value in zip(wrong["row"], wrong["col"], wrong["value"], strict=True):
        blank = value is None or (isinstance(value, float) and np.isnan(value))
        if blank:
            what = "is empty; type the units"
        elif isinstance(value, str) and value.startswith("="):
            what = f"{value!r} is a formula; type the units as a number"
        else:
            what = f"{value!r} is not a number >= 0"
        problems.append(Problem(source, int(row), str(header[int(col)]), what))
    if problems:
        raise ValidationFailed(problems)
    long["value"] = numbers.astype("float64")
    current = plan.groupby([*KEY_COLUMNS, "period"], as_index=False)["quantity"].sum()
    long = long.merge(current, on=[*KEY_COLUMNS, "period"], how="left")
    changed = (long["value"] - long["quantity"].round(DECIMALS)).abs() > 0.5 * 10**-DECIMALS
    edits = long[changed].sort_values(["row", "period"])
    return edits[["item", "location", "period", "value"]].reset_index(drop=True), edits[
        "row"
    ].astype(int).tolist()


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float | np.number) and not isinstance(value, bool)
