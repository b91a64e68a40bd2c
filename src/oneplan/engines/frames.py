"""Checks and look-ups every engine applies to the frames it is handed.

Each check raises :class:`~oneplan.errors.InputError` located by table and column (and by row,
the 0-based position in the frame as handed in, where one row is at fault), so the planner
learns what to fix. Periods are months, named by their first day (``datetime64[ns]``).
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd

from oneplan.errors import InputError, Problem, ValidationFailed

_MONTH = re.compile(r"^(\d{4})-(\d{2})(?:-01)?$")


#: The largest amount oneplan accepts anywhere (units, hours, money per unit or in total): far
#: beyond any real plan, so that a typing slip or 1e308 is refused at the boundary instead of
#: planned, and every sum of such amounts stays finite.
LARGEST_AMOUNT = 1e12
#: Joins an item and its location into one series id ("ITEM|LOCATION"): the demand hierarchy's
#: bottom level and the scope of a grant read it; codes must not contain it.
ID_SEPARATOR = "|"


def parse_month(text: Any) -> pd.Timestamp | None:
    """``2027-03`` or ``2027-03-01``, as a person types a month, as the month's first day;
    anything else None.

    >>> parse_month("2027-03"), parse_month("2027-03-15")
    (Timestamp('2027-03-01 00:00:00'), None)
    """
    match = _MONTH.match(str(text).strip())
    if not match or not 1 <= int(match.group(2)) <= 12:
        return None
    return pd.Timestamp(int(match.group(1)), int(match.group(2)), 1)


def did_you_mean(value: Any, known: Iterable[Any]) -> str:
    """A hint for a code that is not known: the known code it matches ignoring case, else the
    closest one (a slip of a letter or two), as ``"; did you mean HOS?"``; ``""`` when none is
    near.

    >>> did_you_mean("hos", ["HOS", "SPR"]), did_you_mean("HSO", ["HOS", "SPR", "STO"])
    ('; did you mean HOS?', '; did you mean HOS?')
    >>> did_you_mean("PL-NORHT", ["PL-NORTH", "PL-SOUTH"])
    '; did you mean PL-NORTH?'
    >>> did_you_mean("garden tools", ["HOS", "SPR"])
    ''
    """
    text = str(value).strip()
    codes = sorted({str(code) for code in known if code is not None and str(code) != ""})
    if not text or not codes:
        return ""
    same = [code for code in codes if code.casefold() == text.casefold()]
    # the same letters in another order (a transposition) before any other close code
    same = same or [code for code in codes if sorted(code.casefold()) == sorted(text.casefold())]
    if same:
        return f"; did you mean {same[0]}?"
    folded: dict[str, str] = {}
    for code in codes:
        folded.setdefault(code.casefold(), code)
    close = difflib.get_close_matches(text.casefold(), list(folded), n=1, cutoff=0.6)
    return f"; did you mean {folded[close[0]]}?" if close else ""


def require_columns(frame: pd.DataFrame, columns: Sequence[str], table: str) -> None:
    """Raise `InputError` located at the first of ``columns`` that ``frame`` lacks.

    >>> demand = pd.DataFrame({"item": ["A"], "period": ["2027-01"]})
    >>> require_columns(demand, ["item", "period"], "demand")
    >>> require_columns(demand, ["item", "quantity"], "demand")
    Traceback (most recent call last):
    ...
    oneplan.errors.InputError: demand, column quantity: is missing (needs ['item', 'quantity'])
    >>> try:
    ...     require_columns(demand, ["location", "quantity"], "demand")
    ... except InputError as error:
    ...     print(error.column, "|", error.problems[0].message)
    location | is missing, and so is quantity (needs ['location', 'quantity'])
    """
    if not isinstance(frame, pd.DataFrame):
        raise InputError(f"must be a DataFrame, not {type(frame).__name__}", table=table)
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        first, rest = missing[0], ", ".join(map(str, missing[1:]))
        also = f", and so {'are' if len(missing) > 2 else 'is'} {rest}" if rest else ""
        raise InputError(f"is missing{also} (needs {list(columns)})", table=table, column=first)


def numeric(
    frame: pd.DataFrame,
    column: str,
    table: str,
    *,
    default: float | None = None,
    allow_negative: bool = True,
) -> pd.Series:
    """``frame[column]`` as floats, with ``frame``'s index.

    Empty cells (missing or blank text) take ``default``, or stay NaN without one; an absent
    column is all ``default``, or raises without one. Text that is not a number raises, and so
    does a negative number unless ``allow_negative``.

    >>> costs = pd.DataFrame({"price": ["12.5", "", None]})
    >>> numeric(costs, "price", "prices", default=0.0).tolist()
    [12.5, 0.0, 0.0]
    >>> numeric(costs.assign(price=["12.5", "ten", "3"]), "price", "prices")
    Traceback (most recent call last):
    ...
    oneplan.errors.InputError: prices, row 1, column price: holds 'ten', not a number
    """
    if column not in frame.columns:
        if default is None:
            raise InputError("is missing", table=table, column=column)
        return pd.Series(default, index=frame.index, dtype=float)
    given = frame[column]
    values = pd.to_numeric(given, errors="coerce")
    # A value that became NaN was text; blank text counts as an empty cell, not a bad one.
    suspect = (values.isna() & given.notna()).to_numpy()
    if suspect.any():
        text = given[suspect].astype(str).str.strip().to_numpy()
        bad = np.flatnonzero(suspect)[text != ""]
        if len(bad):
            row = int(bad[0])
            raise InputError(
                f"holds {given.iloc[row]!r}, not a number", table=table, column=column, row=row
            )
    values = values.astype(float)
    if not allow_negative and (values < 0).any():
        row = int(np.argmax((values < 0).to_numpy()))
        raise InputError(
            f"holds {values.iloc[row]:g}; it must not be negative",
            table=table,
            column=column,
            row=row,
        )
    return values.fillna(default) if default is not None else values


def parameters(frame: pd.DataFrame | None) -> dict[str, str]:
    """The ``parameters`` table (``name, value`` rows) as text values by name.

    >>> parameters(pd.DataFrame({"name": ["currency", "horizon_periods"], "value": ["EUR", 18]}))
    {'currency': 'EUR', 'horizon_periods': '18'}
    """
    if frame is None or not len(frame):
        return {}
    require_columns(frame, ["name", "value"], "parameters")
    return dict(zip(frame["name"].astype(str), frame["value"].astype(str), strict=True))


def parameter_number(params: Mapping[str, str], name: str, default: float) -> float:
    """The parameter ``name`` as a number, or ``default`` when it is not given.

    >>> settings = {"horizon_periods": "18", "currency": "EUR"}
    >>> parameter_number(settings, "horizon_periods", 12.0), parameter_number(settings, "x", 0.5)
    (18.0, 0.5)
    >>> parameter_number(settings, "currency", 0.0)
    Traceback (most recent call last):
    ...
    oneplan.errors.InputError: parameters, column value: currency = 'EUR' is not a number
    """
    text = params.get(name)
    if text is None:
        return default
    try:
        return float(text)
    except ValueError:
        message = f"{name} = {text!r} is not a number"
        raise InputError(message, table="parameters", column="value") from None


def finite_or_none(value: Any) -> float | None:
    """A figure for a summary: the number, or None when it is missing or not finite.

    >>> finite_or_none(2.5), finite_or_none(float("inf")), finite_or_none(None)
    (2.5, None, None)
    """
    if value is None:
        return None
    number = float(value)
    return number if np.isfinite(number) else None


@dataclass(frozen=True)
class PlanCalendar:
    """The months a plan covers and the currency its money is in."""

    start: pd.Timestamp
    horizon: int
    currency: str

    @property
    def months(self) -> pd.DatetimeIndex:
        return pd.date_range(self.start, periods=self.horizon, freq="MS")


def plan_calendar(
    frame: pd.DataFrame, *, plan_start: str | None = None, horizon: int | None = None
) -> PlanCalendar:
    """plan_start (a month), horizon_periods and currency from the ``parameters`` table;
    ``plan_start`` and ``horizon``, when given, win. Both problems are reported at once.

    >>> table = pd.DataFrame({"name": ["plan_start", "horizon_periods", "currency"],
    ...     "value": ["2027-01", "18", "EUR"]})
    >>> calendar = plan_calendar(table, horizon=6)
    >>> f"{calendar.start:%Y-%m}", calendar.horizon, calendar.currency
    ('2027-01', 6, 'EUR')
    """
    values = parameters(frame)
    start_text = plan_start or values.get("plan_start")
    horizon_value: Any = horizon or values.get("horizon_periods")
    problems = []
    start = parse_month(start_text) if start_text else None
    if start is None:
        message = f"is {start_text!r}, need a month like 2027-01"
        problems.append(Problem("parameters", None, "plan_start", message))
    try:
        months = int(horizon_value)
    except (TypeError, ValueError):
        months = 0
    if months < 1:
        message = f"is {horizon_value!r}, need a whole number >= 1"
        problems.append(Problem("parameters", None, "horizon_periods", message))
    if problems or start is None:
        raise ValidationFailed(problems)
    return PlanCalendar(start, months, values.get("currency") or "")


def month_starts(
    values: object, *, table: str = "input", column: str | None = None, required: bool = False
) -> pd.Series:
    """Dates or ``YYYY-MM`` text as the first day of their month (the S&OP period).

    Returns ``datetime64[ns]``; a Series keeps its index (and names the column of an error
    unless ``column`` does), anything else gets a fresh one. Empty values stay NaT, or raise
    when ``required``; a value that is not a date raises.

    >>> month_starts(["2027-03", "2027-03-15", None]).astype(str).tolist()
    ['2027-03-01', '2027-03-01', 'NaT']
    >>> month_starts(pd.period_range("2027-11", periods=2, freq="M")).dt.month.tolist()
    [11, 12]
    >>> month_starts(pd.Series(["2027-01", "soon"], name="period"), table="demand")
    Traceback (most recent call last):
    ...
    oneplan.errors.InputError: demand, row 1, column period: holds 'soon', not a date
    """
    given = values if isinstance(values, pd.Series) else pd.Series(values)
    if isinstance(given.dtype, pd.PeriodDtype):
        given = pd.Series(given.dt.to_timestamp(), index=given.index, name=given.name)
    where = column if column is not None else given.name
    named = None if where is None else str(where)
    try:
        dates = pd.to_datetime(given, format="mixed")
    except (ValueError, TypeError):
        parsed = pd.to_datetime(given, format="mixed", errors="coerce")
        bad = np.flatnonzero((parsed.isna() & given.notna()).to_numpy())
        if not len(bad):
            raise InputError("holds values that are not dates", table=table, column=named) from None
        row = int(bad[0])
        raise InputError(
            f"holds {given.iloc[row]!r}, not a date", table=table, column=named, row=row
        ) from None
    empty = dates.isna().to_numpy()
    if required and empty.any():
        message = f"has {int(empty.sum())} empty value(s)"
        raise InputError(message, table=table, column=named, row=int(np.argmax(empty)))
    months = dates.dt.to_period("M").dt.to_timestamp().astype("datetime64[ns]")
    return pd.Series(months, index=given.index, name=given.name)


def month_number(dates: object) -> pd.Series:
    """Months since year 0 (float, NaN for a missing date): month arithmetic without loops.

    >>> month_number(pd.Series(["2027-03-15", None])).tolist()
    [24326.0, nan]
    """
    stamps = pd.to_datetime(dates if isinstance(dates, pd.Series) else pd.Series(dates))
    return (stamps.dt.year * 12 + stamps.dt.month - 1).astype(float)


def value_in_force(
    rows: pd.DataFrame,
    table_frame: pd.DataFrame,
    by: Sequence[str],
    values: Sequence[str],
    *,
    before_first: Literal["missing", "first"] = "missing",
    table: str,
) -> pd.DataFrame:
    """The ``values`` of an effective-dated table in force in each row's month.

    ``rows`` holds ``by`` and ``period`` (month starts); ``table_frame`` (named ``table`` in
    errors) holds ``by``, ``valid_from`` and ``values``. A table row applies from its
    ``valid_from`` month until the next ``valid_from`` of the same key. Months before a key's
    first row are NaN (``before_first="missing"``) or take that first row (``"first"``: a cost
    list dated mid-horizon still prices its start). Keys without rows, and rows without a
    period, are NaN. The result has ``rows``' index; a table row without a ``valid_from``, or
    two rows of one key in the same month, raise.

    >>> prices = pd.DataFrame({"item": ["A", "A"], "valid_from": ["2027-01", "2027-03"],
    ...                        "price": [10.0, 12.0]})
    >>> rows = pd.DataFrame({"item": "A", "period": month_starts(["2027-02", "2027-03",
    ...                      "2026-12"])})
    >>> value_in_force(rows, prices, ["item"], ["price"], table="prices")["price"].tolist()
    [10.0, 12.0, nan]
    >>> value_in_force(rows, prices, ["item"], ["price"], before_first="first",
    ...                table="prices")["price"].tolist()
    [10.0, 12.0, 10.0]
    """
    by, values = list(by), list(values)
    require_columns(table_frame, [*by, "valid_from", *values], table)
    keyed = rows[by].assign(
        period=rows["period"].astype("datetime64[ns]").to_numpy(), _row=np.arange(len(rows))
    )
    dated = table_frame[[*by, *values]].assign(
        valid_from=month_starts(table_frame["valid_from"], table=table, column="valid_from")
    )
    for key in by:
        dated[key] = dated[key].astype(keyed[key].dtype)
    undated = dated["valid_from"].isna().to_numpy()
    if undated.any():
        row = int(np.argmax(undated))
        raise InputError("is empty", table=table, column="valid_from", row=row)
    if dated.duplicated([*by, "valid_from"]).any():
        raise InputError(
            f"has more than one row for the same {', '.join(by)} and month",
            table=table,
            column="valid_from",
        )
    left = keyed[keyed["period"].notna()].sort_values("period")
    right = dated.sort_values("valid_from")
    matched = pd.merge_asof(
        left, right, left_on="period", right_on="valid_from", by=by, direction="backward"
    )
    if before_first == "first":
        ahead = pd.merge_asof(
            left, right, left_on="period", right_on="valid_from", by=by, direction="forward"
        )
        early = matched["valid_from"].isna()
        for column in values:
            matched[column] = matched[column].where(~early, ahead[column])
    # back to the order of `rows`; a row without a period found nothing
    found = matched[values].set_axis(matched["_row"].to_numpy()).reindex(np.arange(len(rows)))
    return found.set_axis(rows.index)
